/* SPDX-License-Identifier: BSD-3-Clause */
/* Moore's "top-ten FFT components" of an inter-arrival-time series, with FFTW plans cached per
 * engine. */
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "feature/moore.h"

/*
 * FFTW's planner keeps global state and is not thread-safe, while flowdx runs one engine per
 * thread (and plugins one fdx_featureset per thread). fftw_make_planner_thread_safe() (FFTW
 * 3.3.5+, libfftw3_threads) puts a lock around planning and plan destruction; fftw_execute is
 * thread-safe anyway. It is called once per process.
 */
static pthread_once_t planner_once = PTHREAD_ONCE_INIT;

static void make_planner_thread_safe(void)
{
    fftw_make_planner_thread_safe();
}

struct moore_fft {
    double *in;        /* MOORE_MAX_STORED reals */
    fftw_complex *out; /* MOORE_MAX_STORED / 2 + 1 bins */
    fftw_plan *plans;  /* by length; made on first use, on in and out */
    bool *plan_failed; /* by length: FFTW could not plan it, do not ask again */
    double *magnitude; /* MOORE_MAX_STORED / 2 + 1 */
};

struct moore_fft *fdxi_moore_fft_new(void)
{
    pthread_once(&planner_once, make_planner_thread_safe);
    struct moore_fft *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->in = fftw_alloc_real(MOORE_MAX_STORED);
    f->out = fftw_alloc_complex(MOORE_MAX_STORED / 2 + 1);
    f->plans = calloc(MOORE_MAX_STORED + 1, sizeof(*f->plans));
    f->plan_failed = calloc(MOORE_MAX_STORED + 1, sizeof(*f->plan_failed));
    f->magnitude = calloc(MOORE_MAX_STORED / 2 + 1, sizeof(*f->magnitude));
    if (f->in == NULL || f->out == NULL || f->plans == NULL || f->plan_failed == NULL ||
        f->magnitude == NULL) {
        fdxi_moore_fft_free(f);
        return NULL;
    }
    return f;
}

void fdxi_moore_fft_free(struct moore_fft *f)
{
    if (f == NULL)
        return;
    if (f->plans != NULL) {
        for (size_t n = 0; n <= MOORE_MAX_STORED; n++) {
            if (f->plans[n] != NULL)
                fftw_destroy_plan(f->plans[n]);
        }
    }
    fftw_free(f->in);
    fftw_free(f->out);
    free(f->plans);
    free(f->plan_failed);
    free(f->magnitude);
    free(f);
}

/* Whether bin a ranks before bin b: larger magnitude, then lower frequency. */
static bool before(const double *mag, size_t a, size_t b)
{
    return mag[a] > mag[b] || (mag[a] == mag[b] && a < b);
}

bool fdxi_moore_fft_top(struct moore_fft *f, const double *x, size_t n, double out[MOORE_FFT_TOP])
{
    for (int r = 0; r < MOORE_FFT_TOP; r++)
        out[r] = 0.0;
    if (n < 2)
        return true; /* no bin besides DC */
    if (n > MOORE_MAX_STORED || f->plan_failed[n])
        return false;
    if (f->plans[n] == NULL) {
        /* FFTW_ESTIMATE: no trial runs, so planning is cheap and leaves the arrays alone. */
        f->plans[n] = fftw_plan_dft_r2c_1d((int)n, f->in, f->out, FFTW_ESTIMATE);
        if (f->plans[n] == NULL) {
            f->plan_failed[n] = true;
            return false;
        }
    }
    for (size_t i = 0; i < n; i++)
        f->in[i] = x[i];
    fftw_execute(f->plans[n]);
    size_t bins = n / 2; /* k = 1..n/2; DC (k = 0) is the sum of the series and always largest */
    for (size_t k = 1; k <= bins; k++)
        f->magnitude[k] = hypot(f->out[k][0], f->out[k][1]);
    /* Selection by rank, without marks: the next bin is the best of those ranking after the
     * previous one. n/2 <= 512 bins and 10 ranks. */
    size_t prev = 0;
    for (int r = 0; r < MOORE_FFT_TOP && (size_t)r < bins; r++) {
        size_t best = 0;
        for (size_t k = 1; k <= bins; k++) {
            if ((prev == 0 || before(f->magnitude, prev, k)) &&
                (best == 0 || before(f->magnitude, k, best)))
                best = k;
        }
        double re = f->out[best][0], im = f->out[best][1];
        /* "arctan" of the component, atan(Im/Re): its phase folded into [-pi/2, pi/2], so that
         * a sign of rounding on a (near-)real bin does not flip the value between -pi and pi. */
        if (re != 0.0)
            out[r] = atan(im / re);
        else
            out[r] = im > 0 ? M_PI / 2 : im < 0 ? -M_PI / 2 : 0.0;
        prev = best;
    }
    return true;
}
