// rv_score.h
#ifndef RV_SCORE_H
#define RV_SCORE_H
#include "rv_core.h"
#endif
