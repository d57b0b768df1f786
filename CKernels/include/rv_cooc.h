// rv_cooc.h
#ifndef RV_COOC_H
#define RV_COOC_H
#include "rv_core.h"
#endif
