/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the model unit tests (model_util.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

static void *load(const struct fdxi_model_kind *k, const void *data, size_t len, uint32_t d,
                  uint32_t n_classes, char *err, bool whole)
{
    struct fdxi_rbuf r;
    fdxi_rbuf_init(&r, data, len);
    void *m = k->load(&r, d, n_classes);
    if (m == NULL) {
        assert_true(r.failed);
        assert_true(r.err[0] != '\0');
    } else {
        assert_false(r.failed);
        if (whole)
            assert_int_equal(r.off, len);
    }
    memcpy(err, r.err, sizeof(r.err));
    return m;
}

void *mu_load(const struct fdxi_model_kind *k, const void *data, size_t len, uint32_t d,
              uint32_t n_classes, char *err)
{
    return load(k, data, len, d, n_classes, err, true);
}

void *mu_load_prefix(const struct fdxi_model_kind *k, const void *data, size_t len, uint32_t d,
                     uint32_t n_classes, char *err)
{
    return load(k, data, len, d, n_classes, err, false);
}

size_t mu_round_trip(const struct fdxi_model_kind *k, const void *m, const double *x, size_t n,
                     uint32_t d, uint32_t n_classes)
{
    assert_true(n_classes <= FDXI_MODEL_MAX_CLASSES);
    struct fdxi_wbuf w, w2;
    mu_save(k, m, &w);
    char err[256];
    void *back = mu_load(k, w.data, w.len, d, n_classes, err);
    if (back == NULL)
        print_error("%s: load: %s\n", k->name, err);
    assert_non_null(back);
    for (size_t i = 0; i < n; i++) {
        double a[FDXI_MODEL_MAX_CLASSES], b[FDXI_MODEL_MAX_CLASSES];
        k->predict(m, &x[i * d], a);
        k->predict(back, &x[i * d], b);
        if (memcmp(a, b, n_classes * sizeof(double)) != 0)
            print_error("%s: row %zu predicted differently after loading\n", k->name, i);
        assert_memory_equal(a, b, n_classes * sizeof(double));
    }
    mu_save(k, back, &w2);
    assert_int_equal(w2.len, w.len);
    assert_memory_equal(w2.data, w.data, w.len);
    size_t len = w.len;
    fdxi_wbuf_fini(&w);
    fdxi_wbuf_fini(&w2);
    k->free(back);
    return len;
}

void mu_every_prefix_refused(const struct fdxi_model_kind *k, const void *data, size_t len,
                             uint32_t d, uint32_t n_classes, const char *needle)
{
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        assert_non_null(copy);
        memcpy(copy, data, cut);
        char err[256];
        void *m = mu_load(k, copy, cut, d, n_classes, err);
        free(copy);
        if (m != NULL) {
            print_error("%s: a model cut to %zu of %zu bytes was accepted\n", k->name, cut, len);
            k->free(m);
            fail();
        }
        if (needle != NULL && strstr(err, needle) == NULL) {
            print_error("%s cut to %zu bytes: message '%s' lacks '%s'\n", k->name, cut, err,
                        needle);
            fail();
        }
    }
}

void mu_patched_refused(const struct fdxi_model_kind *k, const void *data, size_t len, size_t at,
                        const void *patch, size_t patch_len, uint32_t d, uint32_t n_classes,
                        const char *needle)
{
    assert_true(at <= len && patch_len <= len - at);
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, data, len);
    memcpy(copy + at, patch, patch_len);
    char err[256];
    void *m = mu_load(k, copy, len, d, n_classes, err);
    free(copy);
    if (m != NULL) {
        print_error("%s: %zu bytes changed at offset %zu were accepted (wanted a refusal with "
                    "'%s')\n",
                    k->name, patch_len, at, needle);
        k->free(m);
        fail();
    }
    if (strstr(err, needle) == NULL) {
        print_error("%s patched at offset %zu: message '%s' lacks '%s'\n", k->name, at, err,
                    needle);
        fail();
    }
}

void mu_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void mu_put_f64(uint8_t *p, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    mu_put_u32(p, (uint32_t)bits);
    mu_put_u32(p + 4, (uint32_t)(bits >> 32));
}
