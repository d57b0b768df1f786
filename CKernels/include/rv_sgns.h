// rv_sgns.h
#ifndef RV_SGNS_H
#define RV_SGNS_H
#include "rv_core.h"
#endif
