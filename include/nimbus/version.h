/* nimbus/version.h - the Nimbus release this header belongs to. */
#ifndef NIMBUS_VERSION_H
#define NIMBUS_VERSION_H

#define NB_VERSION_MAJOR 0
#define NB_VERSION_MINOR 1
#define NB_VERSION_PATCH 0
#define NB_VERSION_STRING "0.1.0"

#endif /* NIMBUS_VERSION_H */
