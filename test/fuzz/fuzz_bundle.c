/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: arbitrary bytes as a model file through the validating bundle parser. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowdx/flowdx.h"
#include "model/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The file's FNV-1a checksum makes almost every random mutation of a valid model fail at the
 * checksum, before any field is read. So an input whose first byte is 'f' (lower case) is
 * "resealed" first: the byte becomes 'F', the payload length field (bytes 8 to 15) is set to
 * size - 24 and the last 8 bytes to the FNV-1a 64 of the payload, as if a careful attacker had
 * fixed them. libFuzzer then reaches the field checks and every kind's validating loader
 * through mutations of real models. Inputs starting 'F' (the seeds: valid model files) go to
 * the parser unchanged, which keeps the header and checksum checks themselves fuzzed.
 */
static uint8_t *reseal(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size);
    if (p == NULL)
        abort();
    memcpy(p, data, size);
    p[0] = 'F';
    uint64_t plen = size - 24;
    uint64_t sum = fdxi_fnv1a64(p + 16, (size_t)plen);
    for (int i = 0; i < 8; i++) {
        p[8 + i] = (uint8_t)(plen >> (8 * i));
        p[size - 8 + i] = (uint8_t)(sum >> (8 * i));
    }
    return p;
}

/*
 * Oracles, besides the sanitizers: a refusal leaves the output NULL and a message starting
 * "fuzz: "; a bundle that loads classifies a row of zeros into classes it has, and writes back
 * exactly the bytes it was read from (the format has one spelling of each model).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy either way, so that a read past the end is caught by the sanitizer. */
    uint8_t *copy;
    if (size >= 24 && data[0] == 'f') {
        copy = reseal(data, size);
    } else {
        copy = malloc(size ? size : 1);
        if (copy == NULL)
            abort();
        if (size > 0)
            memcpy(copy, data, size);
    }
    struct fdxi_bundle *b = NULL;
    char err[512] = "";
    int rc = fdxi_bundle_parse(copy, size, "fuzz", &b, err, sizeof(err));
    if (rc < 0) {
        if (b != NULL || strncmp(err, "fuzz: ", 6) != 0 || err[6] == '\0')
            abort();
        free(copy);
        return 0;
    }
    if (rc != 0 || b == NULL)
        abort();

    double *x = calloc(b->n_inputs, sizeof(double));
    uint32_t *map = calloc(b->n_inputs, sizeof(uint32_t));
    double *scratch = calloc(2 * (size_t)b->n_inputs + b->n_classes, sizeof(double));
    if (x == NULL || map == NULL || scratch == NULL)
        abort();
    for (uint32_t i = 0; i < b->n_inputs; i++)
        map[i] = i;
    struct fdxi_verdict v;
    fdxi_bundle_classify(b, x, map, scratch, &v);
    if (v.verdict >= b->n_classes || v.n_models != b->n_models)
        abort();
    for (uint32_t m = 0; m < v.n_models; m++) {
        if (v.vote[m] >= b->n_classes)
            abort();
    }

    struct fdxi_wbuf w = {0};
    fdxi_bundle_write(b, &w);
    if (w.failed || w.len != size || memcmp(w.data, copy, size) != 0)
        abort();
    fdxi_wbuf_fini(&w);

    free(x);
    free(map);
    free(scratch);
    fdxi_bundle_free(b);
    free(copy);
    return 0;
}
