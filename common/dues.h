/*
 * dues.h - the monthly Party dues (党费) a member owes under the 党费收缴
 * rules (中组部《关于中国共产党党费收缴、使用和管理的规定》, 2008), in fen.
 *
 *   salaried (在岗职工), on the monthly wage after tax:
 *       up to 3000 元 0.5%, up to 5000 元 1%, up to 10000 元 1.5%, above 2%;
 *   retired (离退休), on the monthly pension: up to 5000 元 0.5%, above 1%;
 *   farmer (农民): 0.2 to 1 元, the amount chosen (the base holds it);
 *   student, unemployed, relief (学生、下岗失业、低保或救济): 0.2 元.
 * A share is rounded to the fen, half up.
 */
#ifndef TX_DUES_H
#define TX_DUES_H

#include <stdint.h>

/* Fen a month for dues class cls (vocab dues_class) on base (fen); -1 if unknown or base invalid. */
int64_t dues_monthly(const char *cls, int64_t base);
/* The share in per ten thousand (50 = 0.5%) for cls and base; 0 for the fixed classes. */
int dues_rate_bp(const char *cls, int64_t base);

/* Bounds of a base (fen): an income up to 10,000,000 元; a farmer's amount 20..100. */
#define DUES_BASE_MAX 1000000000LL
#define DUES_FARMER_MIN 20
#define DUES_FARMER_MAX 100
#define DUES_FIXED 20

#endif
