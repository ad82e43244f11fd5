/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the model unit tests: train, save and load one model kind, round trips and
 * refused files, compare doubles. */
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
 * the reader's message buffer). A refusal must come with a message, a success without, and a
 * model is the whole of what it wrote: one that loads must have used every byte. */
void *mu_load(const struct fdxi_model_kind *k, const void *data, size_t len, uint32_t d,
              uint32_t n_classes, char *err);

/* mu_load for bytes that may hold more than a model (a mutated count can leave bytes over): a
 * model that loads need not have used every byte. */
void *mu_load_prefix(const struct fdxi_model_kind *k, const void *data, size_t len, uint32_t d,
                     uint32_t n_classes, char *err);

/* Save @p m, load the bytes back (the load must succeed), compare the two models' predictions
 * on the @p n rows of @p x bit for bit, and the loaded model's bytes with the first save's byte
 * for byte. Returns the saved length (for the caller's layout checks). */
size_t mu_round_trip(const struct fdxi_model_kind *k, const void *m, const double *x, size_t n,
                     uint32_t d, uint32_t n_classes);

/* Every proper prefix of the @p len bytes, each loaded from a heap copy of exactly its size (so
 * that ASan sees any read past it), must be refused; with @p needle, every message must
 * contain it. */
void mu_every_prefix_refused(const struct fdxi_model_kind *k, const void *data, size_t len,
                             uint32_t d, uint32_t n_classes, const char *needle);

/* A copy of the @p len bytes with the @p patch_len bytes at @p at replaced by @p patch must be
 * refused with a message containing @p needle. */
void mu_patched_refused(const struct fdxi_model_kind *k, const void *data, size_t len, size_t at,
                        const void *patch, size_t patch_len, uint32_t d, uint32_t n_classes,
                        const char *needle);

/* @p v little-endian at @p p, as the model files store it. */
void mu_put_u32(uint8_t *p, uint32_t v);
void mu_put_f64(uint8_t *p, double v);

#endif
