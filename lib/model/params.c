/* SPDX-License-Identifier: BSD-3-Clause */
/* Default training settings of every model kind. */
#include <string.h>

#include "model/model.h"

void fdxi_train_params_init(struct fdxi_train_params *p)
{
    memset(p, 0, sizeof(*p));
    p->seed = 42;
    p->knn_k = 5;
    p->svm_kernel = FDXI_SVM_RBF;
    p->svm_c = 1.0;
    p->tree_min_samples_split = 2;
    p->tree_min_samples_leaf = 1;
    p->forest_trees = 100;
    p->mlp_layers[0] = 100;
    p->mlp_learning_rate = 0.001;
    p->mlp_max_epochs = 200;
    p->mlp_batch = 200;
    p->mlp_patience = 10;
    p->mlp_validation_fraction = 0.1;
    p->mlp_l2 = 0.0001;
    p->wtrees_trees = 61;
    p->wtrees_validation = 0.3;
}
