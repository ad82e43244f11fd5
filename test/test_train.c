/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of training support (preprocessing, header correction, splits, metrics) against
 * values computed by hand or by scikit-learn/pandas. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowdx/flowdx.h"
#include "flowdx/flowdx_model.h"
#include "train/pipeline.h"
#include "train/train.h"
#include "train_util.h"

/* The CIRA-CIC-DoHBrw-2020 sample (argv[1]); the tests that need it skip without it. */
static const char *sample_path;

static void read_sample(struct fdxi_dataset *ds, double *seconds)
{
    char err[512];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = fdxi_dataset_read_csv(sample_path, NULL, ds, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0)
        fail_msg("%s", err);
    if (seconds != NULL)
        *seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
}

/*
 * SOURCES.md: 6,000 rows, 3,000 of label 1; the spec's 29 features in order. Row values are the
 * file's own text (its lines 2 and 6001).
 */
static void test_train_sample_reads_6000_rows(void **state)
{
    (void)state;
    if (sample_path == NULL)
        skip();
    struct fdxi_dataset ds;
    double seconds;
    read_sample(&ds, &seconds);
    print_message("read %u rows in %.3f s\n", ds.n_rows, seconds);
    assert_true(seconds < 1.0);
    assert_int_equal(ds.n_rows, 6000);
    assert_int_equal(ds.n_cols, 29);
    for (uint32_t j = 0; j < 29; j++)
        assert_string_equal(ds.col_names[j], tu_doh_names[j]);
    assert_int_equal(ds.n_classes, 2);
    assert_string_equal(ds.class_names[0], "0");
    assert_string_equal(ds.class_names[1], "1");
    uint32_t ones = 0;
    for (uint32_t i = 0; i < ds.n_rows; i++)
        ones += ds.y[i] == 1;
    assert_int_equal(ones, 3000);
    /* Line 2: 192.168.20.111,8.8.8.8,47458,443,2019/12/16 19:32,0.195289,4468,...,0.924019825,0 */
    assert_true(tu_cell(&ds, 0, "Duration") == 0.195289);
    assert_true(tu_cell(&ds, 0, "FlowBytesSent") == 4468);
    assert_true(tu_cell(&ds, 0, "PacketLengthMode") == 66);
    assert_true(tu_cell(&ds, 0, "ResponseTimeTimeCoefficientofVariation") == 0.924019825);
    assert_int_equal(ds.y[0], 0);
    /* Line 6001: ...,98.022007,584,...,0.115269042,1 */
    assert_true(tu_cell(&ds, 5999, "Duration") == 98.022007);
    assert_true(tu_cell(&ds, 5999, "PacketLengthMode") == 56);
    assert_true(tu_cell(&ds, 5999, "ResponseTimeTimeCoefficientofVariation") == 0.115269042);
    assert_int_equal(ds.y[5999], 1);
    fdxi_dataset_free(&ds);
}

/*
 * The seed's filter at 0.7 keeps the same 15 columns as pandas:
 *   python3 -c "import pandas as pd, numpy as np; d=pd.read_csv('train_set_3000.csv').drop(
 *     columns=['SourceIP','DestinationIP','SourcePort','DestinationPort','TimeStamp','Label']);
 *     c=d.corr().abs(); u=c.where(np.triu(np.ones(c.shape),k=1).astype(bool));
 *     drop=[x for x in u.columns if any(u[x]>0.7)]; print([x for x in d.columns if x not in drop])"
 * (pandas 1.5.3, Debian 12). No |r| in the upper triangle lies within 0.005 of 0.7, so
 * rounding differences cannot move a column across the threshold. PacketTimeMode is nearly
 * always 0 but not constant.
 */
static void test_train_sample_correlation_filter_matches_pandas(void **state)
{
    (void)state;
    if (sample_path == NULL)
        skip();
    static const char *const kept[] = {
        "Duration",
        "FlowBytesSent",
        "FlowSentRate",
        "PacketLengthVariance",
        "PacketLengthMedian",
        "PacketLengthMode",
        "PacketLengthSkewFromMedian",
        "PacketTimeMode",
        "PacketTimeSkewFromMedian",
        "PacketTimeSkewFromMode",
        "PacketTimeCoefficientofVariation",
        "ResponseTimeTimeVariance",
        "ResponseTimeTimeMean",
        "ResponseTimeTimeSkewFromMedian",
        "ResponseTimeTimeCoefficientofVariation",
    };
    struct fdxi_dataset ds;
    read_sample(&ds, NULL);
    double *corr = malloc((size_t)ds.n_cols * ds.n_cols * sizeof(*corr));
    bool *keep = malloc(ds.n_cols * sizeof(*keep));
    assert_non_null(corr);
    assert_non_null(keep);
    fdxi_correlation(&ds, corr);
    assert_int_equal(fdxi_correlation_filter(corr, ds.n_cols, 0.7, keep), 15);
    assert_int_equal(fdxi_dataset_select(&ds, keep), 0);
    assert_int_equal(ds.n_cols, 15);
    for (uint32_t j = 0; j < 15; j++)
        assert_string_equal(ds.col_names[j], kept[j]);
    free(corr);
    free(keep);
    fdxi_dataset_free(&ds);
}

/*
 * The correction over the whole sample against pandas:
 *   python3 -c "import pandas as pd, numpy as np; d=pd.read_csv('train_set_3000.csv');
 *     h=np.where(d.Label==1,16,14); mo=d.PacketLengthMode-h; mo[mo==46]=40;
 *     me=d.PacketLengthMedian-h; me[me==46]=40; mean=d.PacketLengthMean-h;
 *     cov=np.where(mean==0,-1,d.PacketLengthStandardDeviation/mean);
 *     print(mo.sum(), me.sum(), float(np.sum(cov)), (mo==40).sum())"
 *   -> 332964 479911.5 6517.798493437577 886
 */
static void test_train_sample_header_correct_matches_pandas(void **state)
{
    (void)state;
    if (sample_path == NULL)
        skip();
    struct fdxi_dataset ds;
    char err[256];
    read_sample(&ds, NULL);
    const double h[2] = {14, 16};
    assert_int_equal(fdxi_dataset_header_correct(&ds, h, true, err, sizeof(err)), 0);
    assert_int_equal(ds.n_cols, 25);
    double mode = 0, median = 0, cov = 0;
    uint32_t forty = 0;
    for (uint32_t i = 0; i < ds.n_rows; i++) {
        mode += tu_cell(&ds, i, "PacketLengthMode");
        median += tu_cell(&ds, i, "PacketLengthMedian");
        cov += tu_cell(&ds, i, "PacketLengthCoefficientofVariation");
        forty += tu_cell(&ds, i, "PacketLengthMode") == 40;
    }
    assert_true(mode == 332964);
    assert_true(median == 479911.5);
    tu_assert_close(cov, 6517.798493437577, 1e-9);
    assert_int_equal(forty, 886);
    fdxi_dataset_free(&ds);
}

/* 20 % of each class of 3,000 is 600 on the test side. */
static void test_train_sample_holdout_per_class(void **state)
{
    (void)state;
    if (sample_path == NULL)
        skip();
    struct fdxi_dataset ds;
    read_sample(&ds, NULL);
    bool *test = malloc(ds.n_rows * sizeof(*test));
    assert_non_null(test);
    assert_int_equal(fdxi_split_holdout(ds.y, ds.n_rows, 2, 0.2, 42, test), 0);
    uint32_t n_test[2] = {0, 0};
    for (uint32_t i = 0; i < ds.n_rows; i++)
        n_test[ds.y[i]] += test[i];
    assert_int_equal(n_test[0], 600);
    assert_int_equal(n_test[1], 600);
    free(test);
    fdxi_dataset_free(&ds);
}

/* ---- header correction ---- */

/*
 * Two rows by hand. Benign (h = 14): mean 74 -> 60, median 60 -> 46 -> 40 (padding map),
 * mode 60 -> 46 -> 40, CoV = std 30 / 60 = 0.5. Malicious (h = 16): mean 66 -> 50,
 * median 62 -> 46 -> 40, mode 68 -> 52, CoV = 25 / 50 = 0.5. The four per-direction byte and
 * rate columns go; std and Duration stay untouched.
 */
static const char *const two_rows =
    "FlowBytesSent,FlowSentRate,FlowBytesReceived,FlowReceivedRate,"
    "PacketLengthStandardDeviation,PacketLengthMean,PacketLengthMedian,PacketLengthMode,"
    "PacketLengthCoefficientofVariation,Duration,Label\n"
    "500,100,700,140,30,74,60,60,0.4054,5,0\n"
    "300,30,900,90,25,66,62,68,0.3788,10,1\n";

static void test_train_header_correct_two_rows(void **state)
{
    (void)state;
    char path[256], err[256];
    struct fdxi_dataset ds;
    const double h[2] = {14, 16};
    assert_int_equal(tu_read_text(two_rows, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(fdxi_dataset_header_correct(&ds, h, true, err, sizeof(err)), 0);
    static const char *const left[] = {
        "PacketLengthStandardDeviation",
        "PacketLengthMean",
        "PacketLengthMedian",
        "PacketLengthMode",
        "PacketLengthCoefficientofVariation",
        "Duration",
    };
    assert_int_equal(ds.n_cols, 6);
    for (uint32_t j = 0; j < 6; j++)
        assert_string_equal(ds.col_names[j], left[j]);
    assert_true(tu_cell(&ds, 0, "PacketLengthMean") == 60);
    assert_true(tu_cell(&ds, 0, "PacketLengthMedian") == 40);
    assert_true(tu_cell(&ds, 0, "PacketLengthMode") == 40);
    assert_true(tu_cell(&ds, 0, "PacketLengthCoefficientofVariation") == 0.5);
    assert_true(tu_cell(&ds, 0, "PacketLengthStandardDeviation") == 30);
    assert_true(tu_cell(&ds, 0, "Duration") == 5);
    assert_true(tu_cell(&ds, 1, "PacketLengthMean") == 50);
    assert_true(tu_cell(&ds, 1, "PacketLengthMedian") == 40);
    assert_true(tu_cell(&ds, 1, "PacketLengthMode") == 52);
    assert_true(tu_cell(&ds, 1, "PacketLengthCoefficientofVariation") == 0.5);
    assert_true(tu_cell(&ds, 1, "Duration") == 10);
    fdxi_dataset_free(&ds);

    /* Without the padding map, the corrected 46s stay. */
    assert_int_equal(tu_read_text(two_rows, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(fdxi_dataset_header_correct(&ds, h, false, err, sizeof(err)), 0);
    assert_true(tu_cell(&ds, 0, "PacketLengthMedian") == 46);
    assert_true(tu_cell(&ds, 0, "PacketLengthMode") == 46);
    assert_true(tu_cell(&ds, 1, "PacketLengthMedian") == 46);
    assert_true(tu_cell(&ds, 1, "PacketLengthMode") == 52);
    fdxi_dataset_free(&ds);
}

/* A mean equal to the header length corrects to 0: CoV takes the dataset's -1 sentinel. */
static void test_train_header_correct_zero_mean_sentinel(void **state)
{
    (void)state;
    char path[256], err[256];
    struct fdxi_dataset ds;
    const double h[2] = {14, 16};
    const char *text = "PacketLengthStandardDeviation,PacketLengthMean,PacketLengthMedian,"
                       "PacketLengthMode,PacketLengthCoefficientofVariation,Label\n"
                       "0,14,14,14,0,Benign\n";
    assert_int_equal(tu_read_text(text, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(fdxi_dataset_header_correct(&ds, h, true, err, sizeof(err)), 0);
    assert_int_equal(ds.n_cols, 5);
    assert_true(tu_cell(&ds, 0, "PacketLengthMean") == 0);
    assert_true(tu_cell(&ds, 0, "PacketLengthCoefficientofVariation") == -1);
    fdxi_dataset_free(&ds);
}

/* A missing column is named, and the table is left as it was. */
static void test_train_header_correct_missing_column(void **state)
{
    (void)state;
    char path[256], err[256];
    struct fdxi_dataset ds;
    const double h[2] = {14, 16};
    const char *text = "PacketLengthStandardDeviation,PacketLengthMean,PacketLengthMedian,"
                       "PacketLengthCoefficientofVariation,FlowSentRate,Label\n"
                       "30,74,60,0.4,5,0\n";
    assert_int_equal(tu_read_text(text, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    assert_int_equal(fdxi_dataset_header_correct(&ds, h, true, err, sizeof(err)), FDX_ENOENT);
    assert_string_equal(err, "header correction: no column 'PacketLengthMode'");
    assert_int_equal(ds.n_cols, 5);
    assert_true(tu_cell(&ds, 0, "PacketLengthMean") == 74);
    fdxi_dataset_free(&ds);
}

/* ---- correlation ---- */

/*
 * Columns x = {1, 2, 3, NaN}, y = {1, 3, 2, 100}, z = {7, 7, 7, 7}, w = {3, 2, 1, 0}.
 * x, y over rows 0-2 (row 3 has a NaN): deviations {-1, 0, 1} and {-1, 1, 0}: sxy = 1,
 *   sxx = syy = 2, r = 1 / 2 = 0.5.
 * x, w over rows 0-2: w = 4 - x, r = -1.
 * y, w over all rows: means 26.5 and 1.5; dy = {-25.5, -23.5, -24.5, 73.5},
 *   dw = {1.5, 0.5, -0.5, -1.5}; syw = -38.25 - 11.75 + 12.25 - 110.25 = -148,
 *   syy = 7205, sww = 5; r = -148 / sqrt(36025) = -0.7797577872652717
 *   (python3 -c "import numpy as np; print(np.corrcoef([1,3,2,100],[3,2,1,0])[0,1])").
 * z is constant: 0 with everything, itself included.
 */
static void test_train_correlation_hand_example(void **state)
{
    (void)state;
    char path[256], err[256];
    struct fdxi_dataset ds;
    const char *text = "x,y,z,w,Label\n1,1,7,3,0\n2,3,7,2,1\n3,2,7,1,0\nNaN,100,7,0,1\n";
    assert_int_equal(tu_read_text(text, NULL, &ds, path, sizeof(path), err, sizeof(err)), 0);
    double c[16];
    fdxi_correlation(&ds, c);
    tu_assert_close(c[0 * 4 + 1], 0.5, 1e-15);
    tu_assert_close(c[1 * 4 + 0], 0.5, 1e-15);
    tu_assert_close(c[0 * 4 + 3], -1.0, 1e-15);
    tu_assert_close(c[1 * 4 + 3], -0.7797577872652717, 1e-15);
    tu_assert_close(c[3 * 4 + 1], -0.7797577872652717, 1e-15);
    for (int k = 0; k < 4; k++) {
        assert_true(c[2 * 4 + k] == 0.0);
        assert_true(c[k * 4 + 2] == 0.0);
    }
    assert_true(c[0] == 1.0 && c[5] == 1.0 && c[15] == 1.0);
    fdxi_dataset_free(&ds);
}

/*
 * corr(0,1) = 0.9 drops 1; corr(1,2) = -0.8 drops 2 although 1 itself is dropped (the seed's
 * upper-triangle rule); corr(0,3) = 0.7 is not above 0.7, and a NaN never drops: 0 and 3 stay.
 */
static void test_train_correlation_filter_upper_triangle_rule(void **state)
{
    (void)state;
    const double c[16] = {
        1.0, 0.9,  0.1,  0.7, /* */
        0.9, 1.0,  -0.8, NAN, /* */
        0.1, -0.8, 1.0,  0.5, /* */
        0.7, NAN,  0.5,  1.0,
    };
    bool keep[4];
    assert_int_equal(fdxi_correlation_filter(c, 4, 0.7, keep), 2);
    assert_true(keep[0]);
    assert_false(keep[1]);
    assert_false(keep[2]);
    assert_true(keep[3]);
}

/* ---- scaler ---- */

/*
 * Column a = {1, 2, 4, NaN}: the NaN is left out; mean 7/3, population variance
 * ((4/3)^2 + (1/3)^2 + (5/3)^2) / 3 = 14/9, scale sqrt(14)/3 = 1.247219128924647.
 * Column b = {5, 5, 5, 5} is constant: scale 1. Column c = {0.1, 0.1, 0.1, NaN} is constant
 * too, although its computed mean is 0.10000000000000002 and its computed variance is not
 * exactly 0 (scikit-learn's rounding-aware test). scikit-learn agrees:
 *   python3 -c "import numpy as np; from sklearn.preprocessing import StandardScaler as S;
 *     s=S().fit(np.array([[1,5,.1],[2,5,.1],[4,5,.1],[np.nan,5,np.nan]]));
 *     print(s.mean_, s.scale_, s.transform([[4,5,.1]]))"
 *   -> [2.33333333 5. 0.1] [1.24721913 1. 1.] [[1.33630621e+00 0. -1.38777878e-17]]
 * (4 - 7/3) / (sqrt(14)/3) = 5 / sqrt(14) = 1.3363062095621219.
 */
static void test_train_scaler_population_std(void **state)
{
    (void)state;
    const double x[12] = {1, 5, 0.1, 2, 5, 0.1, 4, 5, 0.1, NAN, 5, NAN};
    struct fdxi_scaler s;
    assert_int_equal(fdxi_scaler_fit(&s, x, 4, 3), 0);
    assert_int_equal(s.n_cols, 3);
    tu_assert_close(s.mean[0], 7.0 / 3.0, 1e-15);
    tu_assert_close(s.scale[0], sqrt(14.0) / 3.0, 1e-15);
    assert_true(s.mean[1] == 5.0 && s.scale[1] == 1.0);
    tu_assert_close(s.mean[2], 0.1, 1e-15);
    assert_true(s.scale[2] == 1.0);
    double row[3] = {4, 5, 0.1};
    fdxi_scaler_apply(&s, row);
    tu_assert_close(row[0], 1.3363062095621219, 1e-15);
    assert_true(row[1] == 0.0);
    tu_assert_close(row[2], 0.0, 1e-15);
    double nan_row[3] = {NAN, 6, 0.1};
    fdxi_scaler_apply(&s, nan_row);
    assert_true(isnan(nan_row[0]));
    assert_true(nan_row[1] == 1.0);
    fdxi_scaler_fini(&s);
    fdxi_scaler_fini(&s);
    assert_int_equal(fdxi_scaler_fit(&s, x, 0, 3), FDX_EINVAL);
}

/* ---- splits ---- */

/* Class sizes 10, 5, 1, 2 (rows interleaved). */
static const int32_t split_y[18] = {0, 1, 0, 3, 0, 1, 0, 0, 2, 0, 1, 0, 3, 0, 1, 0, 1, 0};

/*
 * test_fraction 0.25, rounded to the nearest row: 10 -> 2.5 -> 3, 5 -> 1.25 -> 1,
 * 1 -> 0.25 -> 0 (a single row stays on the training side), 2 -> 0.5 -> 1.
 * test_fraction 0.9: 10 -> 9, 5 -> 4.5 -> 5 -> 4 (a class of two or more keeps a training row),
 * 1 -> 0.9 -> 1, 2 -> 1.8 -> 2 -> 1.
 */
static void test_train_holdout_stratified(void **state)
{
    (void)state;
    bool test[18];
    uint32_t n_test[4] = {0}, n_train[4] = {0};
    assert_int_equal(fdxi_split_holdout(split_y, 18, 4, 0.25, 1, test), 0);
    for (int i = 0; i < 18; i++) {
        n_test[split_y[i]] += test[i];
        n_train[split_y[i]] += !test[i];
    }
    assert_int_equal(n_test[0], 3);
    assert_int_equal(n_test[1], 1);
    assert_int_equal(n_test[2], 0);
    assert_int_equal(n_test[3], 1);
    assert_int_equal(n_train[0], 7);

    memset(n_test, 0, sizeof(n_test));
    assert_int_equal(fdxi_split_holdout(split_y, 18, 4, 0.9, 1, test), 0);
    for (int i = 0; i < 18; i++)
        n_test[split_y[i]] += test[i];
    assert_int_equal(n_test[0], 9);
    assert_int_equal(n_test[1], 4);
    assert_int_equal(n_test[2], 1);
    assert_int_equal(n_test[3], 1);

    assert_int_equal(fdxi_split_holdout(split_y, 18, 4, 0.0, 1, test), FDX_EINVAL);
    assert_int_equal(fdxi_split_holdout(split_y, 18, 4, 1.0, 1, test), FDX_EINVAL);
    assert_int_equal(fdxi_split_holdout(split_y, 18, 3, 0.5, 1, test), FDX_EINVAL); /* y = 3 */
}

/* 200 rows, two classes of 100 each: the same seed repeats the split; seeds 1 and 2 differ. */
static void test_train_holdout_deterministic_by_seed(void **state)
{
    (void)state;
    int32_t y[200];
    bool a[200], b[200], c[200];
    for (int i = 0; i < 200; i++)
        y[i] = i % 2;
    assert_int_equal(fdxi_split_holdout(y, 200, 2, 0.3, 1, a), 0);
    assert_int_equal(fdxi_split_holdout(y, 200, 2, 0.3, 1, b), 0);
    assert_int_equal(fdxi_split_holdout(y, 200, 2, 0.3, 2, c), 0);
    assert_memory_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, c, sizeof(a));
    /* Not simply the first rows of each class: a shuffle took place. */
    bool prefix = true;
    for (int i = 0; i < 60; i++)
        prefix &= a[i];
    assert_false(prefix);
}

/*
 * 20 rows (10, 7, 3 per class) in 3 folds: each class spreads as evenly as possible over the
 * folds (10 -> 4,3,3; 7 -> 3,2,2; 3 -> 1,1,1) and the folds hold 7, 7 and 6 rows in some order.
 */
static void test_train_kfold_stratified_and_deterministic(void **state)
{
    (void)state;
    int32_t y[20];
    uint32_t f[20], g[20], h[20];
    for (int i = 0; i < 20; i++)
        y[i] = i < 10 ? 0 : i < 17 ? 1 : 2;
    assert_int_equal(fdxi_split_kfold(y, 20, 3, 3, 7, f), 0);
    uint32_t per[3][3] = {{0}}, total[3] = {0};
    for (int i = 0; i < 20; i++) {
        assert_true(f[i] < 3);
        per[y[i]][f[i]]++;
        total[f[i]]++;
    }
    const uint32_t size[3] = {10, 7, 3};
    for (int c = 0; c < 3; c++) {
        for (int k = 0; k < 3; k++) {
            assert_true(per[c][k] == size[c] / 3 || per[c][k] == size[c] / 3 + 1);
        }
    }
    uint32_t sevens = 0, sixes = 0;
    for (int k = 0; k < 3; k++) {
        sevens += total[k] == 7;
        sixes += total[k] == 6;
    }
    assert_int_equal(sevens, 2);
    assert_int_equal(sixes, 1);

    assert_int_equal(fdxi_split_kfold(y, 20, 3, 3, 7, g), 0);
    assert_memory_equal(f, g, sizeof(f));
    assert_int_equal(fdxi_split_kfold(y, 20, 3, 3, 8, h), 0);
    assert_memory_not_equal(f, h, sizeof(f));
    assert_int_equal(fdxi_split_kfold(y, 20, 3, 1, 7, h), FDX_EINVAL);
    assert_int_equal(fdxi_split_kfold(y, 20, 3, 21, 7, h), FDX_EINVAL);
}

/* ---- located refusals of training and evaluation (fdx_train_run, fdx_eval_run) ---- */

/*
 * One training of a tree on the CSV text (more_text: one --add file, or NULL; exclude: --exclude,
 * or NULL) with folds folds and nan_value: train_case_run() writes the files (their paths in path
 * and more_path, removed afterwards) and leaves the message in err.
 */
struct train_case {
    const char *text;
    const char *more_text;
    const char *exclude;
    uint32_t folds;
    double nan_value;
    char path[256];
    char more_path[256];
    char err[1024];
};

static int train_case_run(struct train_case *c)
{
    struct fdx_train_options o;
    fdx_train_options_init(&o);
    tu_write_temp(c->text, c->path, sizeof(c->path));
    const char *more[1];
    if (c->more_text != NULL) {
        tu_write_temp(c->more_text, c->more_path, sizeof(c->more_path));
        more[0] = c->more_path;
        o.more_data = more;
        o.n_more_data = 1;
    }
    o.data_path = c->path;
    o.models = "tree";
    o.folds = c->folds;
    o.nan_value = c->nan_value;
    o.exclude = c->exclude;
    o.log = NULL;
    fdx_training *t = NULL;
    c->err[0] = '\0';
    int rc = fdx_train_run(&o, &t, c->err, sizeof(c->err));
    fdx_training_free(t);
    unlink(c->path);
    if (c->more_text != NULL)
        unlink(c->more_path);
    return rc;
}

/* @p got must be @p path followed by @p rest. */
static void expect_located(const char *got, const char *path, const char *rest)
{
    char want[1024];
    snprintf(want, sizeof(want), "%s%s", path, rest);
    assert_string_equal(got, want);
}

/*
 * Cross-validation deals the rows round-robin over the folds, so k folds need k rows: fewer are
 * refused with a message (it was empty), counting the rows of each class and naming the folds that
 * would fit; exactly k rows train.
 */
static void test_train_too_few_rows_for_the_folds(void **state)
{
    (void)state;
    struct train_case c = {.text = "a,b,Label\n1,2,spam\n", .folds = 5, .nan_value = -1};
    assert_int_equal(train_case_run(&c), FDX_EINVAL);
    expect_located(c.err, c.path,
                   ": 1 row (1 of class 'spam') is too few for 5-fold cross-validation, which "
                   "needs at least 5 rows (one per fold; --folds 2, the fewest, needs 2)");

    struct train_case d = {
        .text = "a,b,Label\n1,2,spam\n3,4,ham\n5,6,ham\n", .folds = 5, .nan_value = -1};
    assert_int_equal(train_case_run(&d), FDX_EINVAL);
    expect_located(d.err, d.path,
                   ": 3 rows (2 of class 'ham', 1 of class 'spam') are too few for 5-fold "
                   "cross-validation, which needs at least 5 rows (one per fold; --folds 3 fits "
                   "these)");
    d.folds = 3; /* what the message offers */
    assert_int_equal(train_case_run(&d), 0);
}

/* Rows of one class train no detector: refused as bad input, naming the class. */
static void test_train_one_class_refused(void **state)
{
    (void)state;
    struct train_case c = {
        .text = "a,b,Label\n1,2,spam\n3,4,spam\n5,6,spam\n", .folds = 2, .nan_value = -1};
    assert_int_equal(train_case_run(&c), FDX_EFORMAT);
    expect_located(c.err, c.path,
                   ": all 3 rows are of class 'spam': a model needs rows of at least two classes");
}

/*
 * An infinite cell is refused when the data is read, naming its file line (the header is line
 * 1, blank lines count) and column: before, a model refused "row 0, feature 1" of its own
 * shuffled, scaled copy. A column left out with --exclude is never read by a model: accepted.
 */
static void test_train_infinite_value_located(void **state)
{
    (void)state;
    const char *text = "a,b,Label\n" /* line 1 */
                       "1,10,ham\n"  /* 2 */
                       "2,20,spam\n" /* 3 */
                       "\n"          /* 4 */
                       "3,inf,ham\n" /* 5 */
                       "4,40,spam\n";
    struct train_case c = {.text = text, .folds = 2, .nan_value = -1};
    assert_int_equal(train_case_run(&c), FDX_EFORMAT);
    expect_located(c.err, c.path,
                   ":5: column 'b': an infinite value (inf), which no model can train on");
    c.exclude = "b";
    assert_int_equal(train_case_run(&c), 0);
}

/*
 * A finite value whose scaling could overflow (squares of 1e308 are infinite) is refused at
 * load, located, instead of failing inside a model after scaling; 1e100, the limit, trains.
 */
static void test_train_huge_value_located(void **state)
{
    (void)state;
    struct train_case c = {.text = "a,b,Label\n1,10,ham\n2,20,spam\n3,1e308,ham\n4,40,spam\n",
                           .folds = 2,
                           .nan_value = -1};
    assert_int_equal(train_case_run(&c), FDX_EFORMAT);
    expect_located(c.err, c.path,
                   ":4: column 'b': 1e+308 is too large to train on (magnitude above 1e+100, "
                   "where scaling could overflow)");
    c.text = "a,b,Label\n1,10,ham\n2,20,spam\n3,-1e100,ham\n4,40,spam\n";
    assert_int_equal(train_case_run(&c), 0);
}

/* The value of NaN cells must be finite and scalable, or NaN would reach the models. */
static void test_train_nan_value_must_be_finite(void **state)
{
    (void)state;
    struct train_case c = {.text = "a,b,Label\n1,,ham\n2,20,spam\n3,30,ham\n4,40,spam\n",
                           .folds = 2};
    c.nan_value = INFINITY;
    assert_int_equal(train_case_run(&c), FDX_EINVAL);
    assert_string_equal(c.err, "--nan-value: inf is not a finite number");
    c.nan_value = NAN;
    assert_int_equal(train_case_run(&c), FDX_EINVAL);
    assert_string_equal(c.err, "--nan-value: nan is not a finite number");
    c.nan_value = 1e200;
    assert_int_equal(train_case_run(&c), FDX_EINVAL);
    assert_string_equal(c.err, "--nan-value: 1e+200 is too large (magnitude above 1e+100, where "
                               "scaling could overflow)");
    c.nan_value = 1e100;
    assert_int_equal(train_case_run(&c), 0);
}

/* An --add file's bad cell or label is named by that file and its own line. */
static void test_train_added_file_located(void **state)
{
    (void)state;
    const char *text = "a,b,Label\n1,10,ham\n2,20,spam\n3,30,ham\n4,40,spam\n";
    struct train_case c = {.text = text,
                           .more_text = "a,b,Label\n5,50,spam\n6,-inf,ham\n",
                           .folds = 2,
                           .nan_value = -1};
    assert_int_equal(train_case_run(&c), FDX_EFORMAT);
    expect_located(c.err, c.more_path,
                   ":3: column 'b': an infinite value (-inf), which no model can train on");
    c.more_text = "a,b,Label\n5,50,spam\n6,60,HAM\n";
    assert_int_equal(train_case_run(&c), FDX_EFORMAT);
    expect_located(c.err, c.more_path,
                   ":3: label 'HAM' is not a class of the first data file (ham, spam)");
    c.more_text = "b,Label\n50,spam\n";
    assert_int_equal(train_case_run(&c), FDX_EFORMAT);
    expect_located(c.err, c.more_path, ":1: no column 'a', which the first data file has");
}

/* Evaluate the CSV @p text with @p m; the CSV's path in @p path, the message in @p err. */
static int eval_text(const fdx_model *m, const char *text, fdx_evaluation **ret, char *path,
                     size_t path_len, char *err, size_t err_len)
{
    tu_write_temp(text, path, path_len);
    err[0] = '\0';
    int rc = fdx_eval_run(m, path, NULL, 0, ret, err, err_len);
    unlink(path);
    return rc;
}

/*
 * Evaluation maps a label onto the model's classes by name, never by guess: a label the model
 * does not have is refused at the line of its first row, listing the model's classes (before,
 * with two classes, every unknown label counted as the second). A model input the file lacks is
 * named as the file's missing column, not as a lack of the feature set.
 */
static void test_eval_labels_and_columns_located(void **state)
{
    (void)state;
    struct train_case c = {.text = "a,b,Label\n1,10,ham\n2,20,spam\n3,30,ham\n4,40,spam\n",
                           .folds = 2,
                           .nan_value = -1};
    struct fdx_train_options o;
    fdx_train_options_init(&o);
    tu_write_temp(c.text, c.path, sizeof(c.path));
    o.data_path = c.path;
    o.models = "tree";
    o.folds = 2;
    o.corr_threshold = 1; /* b = 10 a: the filter would leave the model a alone */
    fdx_training *t = NULL;
    assert_int_equal(fdx_train_run(&o, &t, c.err, sizeof(c.err)), 0);
    unlink(c.path);
    char model_path[256];
    tu_write_temp("", model_path, sizeof(model_path));
    assert_int_equal(fdx_training_save(t, model_path, c.err, sizeof(c.err)), 0);
    fdx_training_free(t);
    fdx_model *m = NULL;
    assert_int_equal(fdx_model_load(model_path, &m, c.err, sizeof(c.err)), 0);
    unlink(model_path);

    char path[256], err[1024];
    fdx_evaluation *ev = NULL;
    assert_int_equal(eval_text(m, "a,b,Label\n1,10,ham\n\n2,20,HAM\n", &ev, path, sizeof(path), err,
                               sizeof(err)),
                     FDX_EFORMAT);
    assert_null(ev);
    expect_located(err, path, ":4: label 'HAM' is not a class of the model (ham, spam)");
    assert_int_equal(eval_text(m, "a,b,Label\n1,10,ham\n2,20,weird\n3,30,spam\n", &ev, path,
                               sizeof(path), err, sizeof(err)),
                     FDX_EFORMAT);
    expect_located(err, path, ":3: label 'weird' is not a class of the model (ham, spam)");
    assert_int_equal(
        eval_text(m, "a,Label\n1,ham\n2,spam\n", &ev, path, sizeof(path), err, sizeof(err)),
        FDX_EFORMAT);
    expect_located(err, path, ":1: no column 'b', which the model reads");

    /* What still maps: the model's names, the class numbers, and a benign spelling onto the
     * model's benign class; columns in another order. */
    assert_int_equal(eval_text(m, "b,a,Label\n10,1,Benign\n20,2,1\n30,3,spam\n40,4,ham\n", &ev,
                               path, sizeof(path), err, sizeof(err)),
                     0);
    assert_int_equal(ev->n_rows, 4);
    assert_int_equal(ev->truth[0], 0);
    assert_int_equal(ev->truth[1], 1);
    assert_int_equal(ev->truth[2], 1);
    assert_int_equal(ev->truth[3], 0);
    fdx_evaluation_free(ev);
    fdx_model_free(m);
}

/*
 * fdxi_class_map: names first, then class numbers, then a benign spelling onto a benign class 0;
 * any other name only onto the unnamed pair "0"/"1" (the DoH data set's labels, which --add files
 * labelled "malicious" join). A named target's missing name is refused at its line.
 */
static void test_train_class_map_rules(void **state)
{
    (void)state;
    const char *const numbered[2] = {"0", "1"};
    const char *const named[2] = {"ham", "spam"};
    const char *const cased[2] = {"Benign", "Malicious"};
    const char *const three[3] = {"a", "b", "c"};
    uint32_t map[4];
    char err[256];

    const char *const doh[3] = {"Benign", "malicious", "DoH"};
    assert_int_equal(
        fdxi_class_map(doh, 3, NULL, numbered, 2, map, "x.csv", "the model", err, sizeof(err)), 0);
    assert_int_equal(map[0], 0);
    assert_int_equal(map[1], 1);
    assert_int_equal(map[2], 1);

    const char *const spam[3] = {"1", "Benign", "spam"};
    assert_int_equal(
        fdxi_class_map(spam, 3, NULL, named, 2, map, "x.csv", "the model", err, sizeof(err)), 0);
    assert_int_equal(map[0], 1);
    assert_int_equal(map[1], 0);
    assert_int_equal(map[2], 1);

    const char *const upper[2] = {"HAM", "spam"};
    const uint64_t lines[2] = {7, 2};
    assert_int_equal(
        fdxi_class_map(upper, 2, lines, named, 2, map, "x.csv", "the model", err, sizeof(err)),
        FDX_EFORMAT);
    assert_string_equal(err, "x.csv:7: label 'HAM' is not a class of the model (ham, spam)");
    const char *const lower[1] = {"malicious"};
    assert_int_equal(fdxi_class_map(lower, 1, NULL, cased, 2, map, "y.csv", "the first data file",
                                    err, sizeof(err)),
                     FDX_EFORMAT);
    assert_string_equal(err,
                        "y.csv: label 'malicious' is not a class of the first data file (Benign, "
                        "Malicious)");
    const char *const odd[2] = {"b", "weird"};
    const uint64_t odd_lines[2] = {3, 0}; /* 0: not known */
    assert_int_equal(
        fdxi_class_map(odd, 2, odd_lines, three, 3, map, "z.csv", "the model", err, sizeof(err)),
        FDX_EFORMAT);
    assert_string_equal(err, "z.csv: label 'weird' is not a class of the model (a, b, c)");
}

/* ---- metrics ---- */

/* Binary scores as the n x 2 matrix of the contract: column 1 is class 1's score. */
static void two_columns(const double *s1, uint32_t n, double *score)
{
    for (uint32_t i = 0; i < n; i++) {
        score[2 * i] = 1.0 - s1[i];
        score[2 * i + 1] = s1[i];
    }
}

/*
 * truth {0,0,0,0,1,1,1,1}, pred {0,1,1,0,1,1,0,1}: confusion [[2,2],[1,3]]; accuracy 5/8;
 * precision 3/5 = 0.6, recall 3/4, F1 = 2 * 0.6 * 0.75 / 1.35 = 2/3.
 * AUC: positives {0.8, 0.6, 0.35, 0.9} against negatives {0.1, 0.4, 0.6, 0.35}: 0.8 and 0.9
 * beat all 4 (8); 0.6 beats 3 and ties 1 (3.5); 0.35 beats 1 and ties 1 (1.5): 13/16 = 0.8125.
 * scikit-learn 1.2.1 agrees (confusion_matrix, accuracy_score, precision_score, recall_score,
 * f1_score, roc_auc_score on these lists -> [[2,2],[1,3]] 0.625 0.6 0.75 0.6666666666666665
 * 0.8125).
 */
static void test_train_metrics_hand_example(void **state)
{
    (void)state;
    const int32_t truth[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    const int32_t pred[8] = {0, 1, 1, 0, 1, 1, 0, 1};
    const double s1[8] = {0.1, 0.4, 0.6, 0.35, 0.8, 0.6, 0.35, 0.9};
    double score[16];
    two_columns(s1, 8, score);
    struct fdxi_metrics m;
    assert_int_equal(fdxi_metrics_compute(truth, pred, score, 8, 2, &m), 0);
    assert_int_equal(m.n_classes, 2);
    assert_int_equal(m.confusion[0][0], 2);
    assert_int_equal(m.confusion[0][1], 2);
    assert_int_equal(m.confusion[1][0], 1);
    assert_int_equal(m.confusion[1][1], 3);
    assert_true(m.accuracy == 0.625);
    tu_assert_close(m.precision, 0.6, 1e-15);
    assert_true(m.recall == 0.75);
    tu_assert_close(m.f1, 2.0 / 3.0, 1e-15);
    assert_true(m.roc_auc == 0.8125);

    /* Nothing predicted positive: precision (0/0), recall and F1 are 0. */
    const int32_t zeros[8] = {0};
    assert_int_equal(fdxi_metrics_compute(truth, zeros, score, 8, 2, &m), 0);
    assert_true(m.precision == 0.0 && m.recall == 0.0 && m.f1 == 0.0);
    assert_true(m.accuracy == 0.5);
    assert_true(m.roc_auc == 0.8125);

    /* Only one class in truth: the AUC is undefined. */
    assert_int_equal(fdxi_metrics_compute(zeros, pred, score, 4, 2, &m), 0);
    assert_true(isnan(m.roc_auc));
    const int32_t bad[8] = {0, 0, 0, 0, 1, 1, 1, 2};
    assert_int_equal(fdxi_metrics_compute(truth, bad, score, 8, 2, &m), FDX_EINVAL);
}

/*
 * 50 rows with many tied scores, from
 *   python3 -c "import numpy as np; from sklearn.metrics import roc_auc_score;
 *     rs=np.random.RandomState(2024); t=rs.randint(0,2,50);
 *     s=np.round(rs.rand(50)*0.5+t*0.3,1); print(list(t), list(s), roc_auc_score(t,s))"
 *   -> AUC 0.9056 (25 positives, 25 negatives: 566 of 625 pairs).
 */
static void test_train_metrics_auc_matches_sklearn_50_rows(void **state)
{
    (void)state;
    const int32_t truth[50] = {0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1,
                               0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1,
                               0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0};
    const double s1[50] = {0.4, 0.4, 0.3, 0.2, 0.5, 0.1, 0.4, 0.4, 0.5, 0.7, 0.4, 0.4, 0.7,
                           0.2, 0.1, 0.2, 0.3, 0.3, 0.7, 0.4, 0.4, 0.6, 0.4, 0.1, 0.7, 0.3,
                           0.6, 0.3, 0.8, 0.4, 0.0, 0.5, 0.7, 0.4, 0.5, 0.2, 0.2, 0.4, 0.7,
                           0.6, 0.0, 0.6, 0.3, 0.7, 0.5, 0.6, 0.7, 0.4, 0.3, 0.2};
    double score[100];
    int32_t pred[50];
    two_columns(s1, 50, score);
    for (int i = 0; i < 50; i++)
        pred[i] = s1[i] >= 0.5;
    struct fdxi_metrics m;
    assert_int_equal(fdxi_metrics_compute(truth, pred, score, 50, 2, &m), 0);
    tu_assert_close(m.roc_auc, 0.9056, 1e-12);
}

/*
 * Three classes, truth {0,0,1,1,2,2}, pred {0,1,1,1,2,0}. Per class (P, R, F1):
 * 0: 1/2, 1/2, 1/2; 1: 2/3, 1, 4/5; 2: 1, 1/2, 2/3. Macro: P 13/18, R 2/3, F1 59/90;
 * accuracy 4/6. One-vs-rest AUC: class 0 positives {0.6, 0.3} vs {0.2, 0.1, 0.2, 0.5}: 7/8;
 * classes 1 and 2 separate fully: 1; mean 23/24. scikit-learn 1.2.1 (average='macro',
 * roc_auc_score(multi_class='ovr')) gives 0.7222222222222222 0.6666666666666666
 * 0.6555555555555556 0.9583333333333334.
 */
static void test_train_metrics_multiclass_macro(void **state)
{
    (void)state;
    const int32_t truth[6] = {0, 0, 1, 1, 2, 2};
    const int32_t pred[6] = {0, 1, 1, 1, 2, 0};
    const double score[18] = {0.6, 0.3, 0.1, 0.3, 0.5, 0.2, 0.2, 0.7, 0.1,
                              0.1, 0.8, 0.1, 0.2, 0.2, 0.6, 0.5, 0.1, 0.4};
    struct fdxi_metrics m;
    assert_int_equal(fdxi_metrics_compute(truth, pred, score, 6, 3, &m), 0);
    assert_int_equal(m.confusion[2][0], 1);
    assert_int_equal(m.confusion[0][1], 1);
    tu_assert_close(m.accuracy, 4.0 / 6.0, 1e-15);
    tu_assert_close(m.precision, 13.0 / 18.0, 1e-15);
    tu_assert_close(m.recall, 2.0 / 3.0, 1e-15);
    tu_assert_close(m.f1, 59.0 / 90.0, 1e-15);
    tu_assert_close(m.roc_auc, 23.0 / 24.0, 1e-15);

    /*
     * Class 2 absent from truth and predictions: the macro averages run over classes 0 and 1
     * only (scikit-learn's default label set). truth {0,0,1,1}, pred {0,1,1,1}: P (1 + 2/3) / 2
     * = 5/6, R (1/2 + 1) / 2 = 3/4, F1 (2/3 + 4/5) / 2 = 11/15; scikit-learn's macro scores on
     * these lists: 0.8333333333333333 0.75 0.7333333333333334.
     */
    const int32_t t2[4] = {0, 0, 1, 1}, p2[4] = {0, 1, 1, 1};
    assert_int_equal(fdxi_metrics_compute(t2, p2, score, 4, 3, &m), 0);
    tu_assert_close(m.precision, 5.0 / 6.0, 1e-15);
    tu_assert_close(m.recall, 0.75, 1e-15);
    tu_assert_close(m.f1, 11.0 / 15.0, 1e-15);

    /* Class 2 absent from truth: its one-vs-rest AUC, and so the average, is NaN. */
    const int32_t no_two[6] = {0, 0, 1, 1, 1, 0};
    assert_int_equal(fdxi_metrics_compute(no_two, pred, score, 6, 3, &m), 0);
    assert_true(isnan(m.roc_auc));
}

/*
 * The hand example's curve, thresholds from the highest score down: 0.9 (+1 tp), 0.8 (+1 tp),
 * 0.6 (+1 tp, +1 fp), 0.4 (+1 fp), 0.35 (+1 tp, +1 fp), 0.1 (+1 fp); with 4 positives and 4
 * negatives: (0,0) (0,.25) (0,.5) (.25,.75) (.5,.75) (.75,1) (1,1). scikit-learn's
 * roc_curve(t, s, drop_intermediate=False) gives the same fpr and tpr lists.
 */
static void test_train_roc_curve_hand_example(void **state)
{
    (void)state;
    const int32_t truth[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    const double s1[8] = {0.1, 0.4, 0.6, 0.35, 0.8, 0.6, 0.35, 0.9};
    double score[16];
    two_columns(s1, 8, score);
    struct fdxi_roc_point *pts;
    uint32_t n = fdxi_roc_curve(truth, score, 8, 2, 1, &pts);
    assert_int_equal(n, 7);
    const double fpr[7] = {0, 0, 0, 0.25, 0.5, 0.75, 1};
    const double tpr[7] = {0, 0.25, 0.5, 0.75, 0.75, 1, 1};
    for (uint32_t k = 0; k < 7; k++) {
        assert_true(pts[k].fpr == fpr[k]);
        assert_true(pts[k].tpr == tpr[k]);
    }
    free(pts);
    /* Class 0's curve mirrors it: score 1 - s, positives the other rows. */
    n = fdxi_roc_curve(truth, score, 8, 2, 0, &pts);
    assert_int_equal(n, 7);
    assert_true(pts[6].fpr == 1.0 && pts[6].tpr == 1.0);
    free(pts);
    /* No negatives: no curve. */
    const int32_t ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(fdxi_roc_curve(ones, score, 8, 2, 1, &pts), 0);
    assert_null(pts);
}

int main(int argc, char **argv)
{
    sample_path = argc > 1 ? argv[1] : NULL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_sample_reads_6000_rows),
        cmocka_unit_test(test_train_sample_correlation_filter_matches_pandas),
        cmocka_unit_test(test_train_sample_header_correct_matches_pandas),
        cmocka_unit_test(test_train_sample_holdout_per_class),
        cmocka_unit_test(test_train_header_correct_two_rows),
        cmocka_unit_test(test_train_header_correct_zero_mean_sentinel),
        cmocka_unit_test(test_train_header_correct_missing_column),
        cmocka_unit_test(test_train_correlation_hand_example),
        cmocka_unit_test(test_train_correlation_filter_upper_triangle_rule),
        cmocka_unit_test(test_train_scaler_population_std),
        cmocka_unit_test(test_train_holdout_stratified),
        cmocka_unit_test(test_train_holdout_deterministic_by_seed),
        cmocka_unit_test(test_train_kfold_stratified_and_deterministic),
        cmocka_unit_test(test_train_too_few_rows_for_the_folds),
        cmocka_unit_test(test_train_one_class_refused),
        cmocka_unit_test(test_train_infinite_value_located),
        cmocka_unit_test(test_train_huge_value_located),
        cmocka_unit_test(test_train_nan_value_must_be_finite),
        cmocka_unit_test(test_train_added_file_located),
        cmocka_unit_test(test_eval_labels_and_columns_located),
        cmocka_unit_test(test_train_class_map_rules),
        cmocka_unit_test(test_train_metrics_hand_example),
        cmocka_unit_test(test_train_metrics_auc_matches_sklearn_50_rows),
        cmocka_unit_test(test_train_metrics_multiclass_macro),
        cmocka_unit_test(test_train_roc_curve_hand_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
