/* The table behind nb_api->util (nimbus/util.h). */
#ifndef NB_UTIL_UTIL_API_H
#define NB_UTIL_UTIL_API_H

#include "nimbus/util.h"

extern const nb_util_api_t nb__util_api;

#endif
