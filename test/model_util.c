/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the model unit tests (model_util.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model_util.h"

void mu_near_at(double a, double b, double eps, const char *file, int line)
{
    if (!(fabs(a - b) <= eps)) {
        print_error("%.17g and %.17g differ by more than %g\n", a, b, eps);
        _fail(file, line);
    }
}

void *mu_train(const struct fdxi_model_kind *k, const struct fdxi_train_params *p, const double *x,
               const int32_t *y, uint32_t n, uint32_t d, uint32_t n_classes)
{
    void *m = NULL;
    char err[256] = "";
    int rc = k->train(p, x, y, n, d, n_classes, &m, err, sizeof(err));
    if (rc != 0)
        print_error("training failed (%d): %s\n", rc, err);
    assert_int_equal(rc, 0);
    assert_non_null(m);
    return m;
}

void mu_save(const struct fdxi_model_kind *k, const void *m, struct fdxi_wbuf *w)
{
    memset(w, 0, sizeof(*w));
    k->save(m, w);
    assert_false(w->failed);
}

void *mu_load(const struct fdxi_model_kind *k, const void *data, size_t len, uint32_t d,
              uint32_t n_classes, char *err)
{
    struct fdxi_rbuf r;
    fdxi_rbuf_init(&r, data, len);
    void *m = k->load(&r, d, n_classes);
    if (m == NULL) {
        assert_true(r.failed);
        assert_true(r.err[0] != '\0');
    } else {
        assert_false(r.failed);
    }
    memcpy(err, r.err, sizeof(r.err));
    return m;
}
