/* What a plugin owns beyond its requests goes with it: children first (they may be clients
 * of its endpoints), then its listeners and prefix routes, then its outbound HTTP requests. */
#include "net/http_out.h"
#include "plugin/plugin.h"
#include "proc/proc.h"

void nb__plugin_release_owned(nb_plugin_t *p) {
    nb__proc_stop_children(p);
    nb__endpoint_release(p);
    nb__http_out_release(p);
}
