/* SPDX-License-Identifier: BSD-3-Clause */
/* Replays fuzz inputs (files, or every file of directories) through a target without libFuzzer. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "replay: %s: cannot open\n", path);
        return -1;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, n);
    return 1;
}

/* Without libFuzzer: replay files, or every file of directories, named on the command line. */
int main(int argc, char **argv)
{
    int replayed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            if (d == NULL)
                return 1;
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
                if (replay_file(path) < 0)
                    return 1;
                replayed++;
            }
            closedir(d);
        } else if (replay_file(argv[i]) < 0) {
            return 1;
        } else {
            replayed++;
        }
    }
    printf("replay: %d inputs replayed\n", replayed);
    return replayed > 0 ? 0 : 1;
}
