/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the model unit tests: train, save and load one model kind, compare doubles. */
#ifndef FDX_TEST_MODEL_UTIL_H
#define FDX_TEST_MODEL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* |a - b| <= eps, printing both values and failing at the caller's line when not (this cmocka
 * has no assert_double_equal). */
#define assert_near(a, b, eps) mu_near_at((a), (b), (eps), __FILE__, __LINE__)
void mu_near_at(double a, double b, double eps, const char *file, int line);

/* Train @p k on the rows; the training must succeed (its message is printed if not). */
void *mu_train(const struct fdxi_model_kind *k, const struct fdxi_train_params *p, const double *x,
               const int32_t *y, uint32_t n, uint32_t d, uint32_t n_classes);

/* Save @p m into a fresh @p w; the writer must not fail. */
void mu_save(const struct fdxi_model_kind *k, const void *m, struct fdxi_wbuf *w);

/* Load @p len bytes; returns the model, or NULL with the reader's message in @p err (256 bytes,
 * the reader's message buffer). A refusal must come with a message, a success without. */
void *mu_load(const struct fdxi_model_kind *k, const void *data, size_t len, uint32_t d,
              uint32_t n_classes, char *err);

#endif
