#include "builder/recipe/suggest.h"

#include <string.h>

#include "formats/core/banned.h"

/* Levenshtein distance, one row at a time; (size_t)-1 for names too long to weigh. */
static size_t
suggest_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, row[32], prev, tmp;

    if (lb >= sizeof(row) / sizeof(row[0]) || la > 64)
        return (size_t)-1;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t best = prev + ((a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            tmp = row[j];
            row[j] = best;
            prev = tmp;
        }
    }
    return row[lb];
}

const char *
suggest_pick(const char *word, const char *const *names, size_t n, size_t limit)
{
    size_t i, d, best = (size_t)-1;
    const char *pick = NULL;

    for (i = 0; i < n; i++) {
        d = suggest_distance(word, names[i]);
        if (d < best) {
            best = d;
            pick = names[i];
        }
    }
    return best <= limit ? pick : NULL;
}
