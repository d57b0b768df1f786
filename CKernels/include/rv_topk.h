// rv_topk.h
#ifndef RV_TOPK_H
#define RV_TOPK_H
#include "rv_core.h"
#endif
