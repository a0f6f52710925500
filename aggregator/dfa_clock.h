/* dfa_clock: a monotonic clock in seconds, for rates, pacing and timeouts
 * (never for dates: those are dfa_period's). */
#ifndef DFA_CLOCK_H
#define DFA_CLOCK_H

/* Seconds since an arbitrary fixed point; never goes backwards. */
double dfa_clock_seconds(void);

#endif
