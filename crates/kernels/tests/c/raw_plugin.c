/*
 * A kernel plugin written against the raw C header, without the Rust SDK: what the ABI
 * promises a plugin in another language. The tests compile it with the system C compiler,
 * plain and in variants that each break one rule (-DWRONG_VERSION, -DUNKNOWN_PARAM,
 * -DOPTIONAL_TEXT).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../../../kernel-sdk/include/ferris_kernel.h"

#ifndef PREFIX
#define PREFIX "c."
#endif

static void free_result(uint32_t tag, void *data, size_t len) {
    (void)tag;
    (void)len;
    free(data);
}

static void fail(FerrisResult *out, const char *message) {
    size_t len = strlen(message);
    char *copy = malloc(len);
    memcpy(copy, message, len);
    out->tag = FERRIS_RESULT_ERROR;
    out->data = copy;
    out->len = len;
    out->free = free_result;
}

/* c.add(a, b = 1): a + b. */
static void add(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out) {
    (void)ctx;
    double b = nargs > 1 && args[1].tag == FERRIS_ARG_NUMBER ? args[1].number : 1.0;
    out->tag = FERRIS_RESULT_NUMBER;
    out->number = args[0].number + b;
}

struct Halves {
    const double *data;
    size_t mid, len;
    double left, right;
};

static void sum_left(const FerrisContext *ctx, void *data) {
    (void)ctx;
    struct Halves *h = data;
    for (size_t i = 0; i < h->mid; i++) h->left += h->data[i];
}

static void sum_right(const FerrisContext *ctx, void *data) {
    (void)ctx;
    struct Halves *h = data;
    for (size_t i = h->mid; i < h->len; i++) h->right += h->data[i];
}

/* c.sum(data): the sum, the two halves forked with the host's join. */
static void sum(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out) {
    (void)nargs;
    struct Halves h = {args[0].data, args[0].len / 2, args[0].len, 0.0, 0.0};
    ctx->join(ctx, sum_left, &h, sum_right, &h);
    out->tag = FERRIS_RESULT_NUMBER;
    out->number = h.left + h.right;
}

struct Doubling {
    const double *in;
    double *out;
};

static void double_piece(const FerrisContext *ctx, void *data, size_t start, size_t end) {
    (void)ctx;
    struct Doubling *d = data;
    for (size_t i = start; i < end; i++) d->out[i] = 2.0 * d->in[i];
}

/* c.double(data): a new array of each element times two, with the host's parallel range. */
static void double_all(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out) {
    (void)nargs;
    size_t len = args[0].len;
    double *result = malloc(len ? len * sizeof(double) : 1);
    struct Doubling d = {args[0].data, result};
    ctx->for_range(ctx, 0, len, 1024, double_piece, &d);
    out->tag = FERRIS_RESULT_FLOAT64ARRAY;
    out->data = result;
    out->len = len;
    out->free = free_result;
}

/* c.bytes(text): the UTF-8 bytes of a string, or a KernelError for an empty one. */
static void bytes(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out) {
    (void)ctx;
    (void)nargs;
    if (args[0].len == 0) return fail(out, "empty text");
    unsigned char *copy = malloc(args[0].len);
    memcpy(copy, args[0].data, args[0].len);
    out->tag = FERRIS_RESULT_UINT8ARRAY;
    out->data = copy;
    out->len = args[0].len;
    out->free = free_result;
}

/* c.wait(): spins until the task is cancelled, then returns how many workers the pool has. */
static void wait_cancelled(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out) {
    (void)args;
    (void)nargs;
    while (!ctx->is_cancelled(ctx)) {
    }
    out->tag = FERRIS_RESULT_NUMBER;
    out->number = (double)ctx->workers(ctx);
}

struct Meeting {
    atomic_int arrived;
    atomic_int met;
};

/* Arrives, then waits for the other half to arrive too (or for the task to be cancelled). */
static void meet_half(const FerrisContext *ctx, void *data) {
    struct Meeting *m = data;
    atomic_fetch_add(&m->arrived, 1);
    while (atomic_load(&m->arrived) < 2) {
        if (ctx->is_cancelled(ctx)) return;
    }
    atomic_fetch_add(&m->met, 1);
}

/* c.meet(): 2 if both halves of a join ran at the same time (each saw the other arrive),
 * less if one waited in vain until the task's time limit: a serial join cannot reach 2. */
static void meet(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out) {
    (void)args;
    (void)nargs;
    struct Meeting m;
    atomic_init(&m.arrived, 0);
    atomic_init(&m.met, 0);
    ctx->join(ctx, meet_half, &m, meet_half, &m);
    out->tag = FERRIS_RESULT_NUMBER;
    out->number = (double)atomic_load(&m.met);
}

static atomic_long counted_frees;

static void free_counted(uint32_t tag, void *data, size_t len) {
    free_result(tag, data, len);
    atomic_fetch_add(&counted_frees, 1);
}

/* c.counted(): a 3-byte array whose free function counts its calls. */
static void counted(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out) {
    (void)ctx;
    (void)args;
    (void)nargs;
    unsigned char *data = malloc(3);
    memcpy(data, "abc", 3);
    out->tag = FERRIS_RESULT_UINT8ARRAY;
    out->data = data;
    out->len = 3;
    out->free = free_counted;
}

/* c.frees(): how many results of c.counted were given back. */
static void frees(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out) {
    (void)ctx;
    (void)args;
    (void)nargs;
    out->tag = FERRIS_RESULT_NUMBER;
    out->number = (double)atomic_load(&counted_frees);
}

/* c.static(): a KernelPanicError whose message is static memory (no free function). */
static void static_panic(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out) {
    (void)ctx;
    (void)args;
    (void)nargs;
    static char message[] = "reported from C";
    out->tag = FERRIS_RESULT_PANIC;
    out->data = message;
    out->len = sizeof message - 1;
}

#ifdef UNKNOWN_PARAM
static const uint32_t ADD_PARAMS[] = {FERRIS_PARAM_NUMBER, 99u};
#else
static const uint32_t ADD_PARAMS[] = {FERRIS_PARAM_NUMBER, FERRIS_PARAM_NUMBER};
#endif
static const uint32_t ARRAY_PARAMS[] = {FERRIS_PARAM_FLOAT64ARRAY};
static const uint32_t TEXT_PARAMS[] = {FERRIS_PARAM_STRING};

static const FerrisKernelDesc KERNELS[] = {
    {PREFIX "add", ADD_PARAMS, 2, 1, add},
    {PREFIX "sum", ARRAY_PARAMS, 1, 0, sum},
    {PREFIX "double", ARRAY_PARAMS, 1, 0, double_all},
#ifdef OPTIONAL_TEXT
    {PREFIX "bytes", TEXT_PARAMS, 1, 1, bytes},
#else
    {PREFIX "bytes", TEXT_PARAMS, 1, 0, bytes},
#endif
    {PREFIX "wait", NULL, 0, 0, wait_cancelled},
    {PREFIX "static", NULL, 0, 0, static_panic},
    {PREFIX "meet", NULL, 0, 0, meet},
    {PREFIX "counted", NULL, 0, 0, counted},
    {PREFIX "frees", NULL, 0, 0, frees},
};

static const FerrisPlugin PLUGIN = {KERNELS, sizeof KERNELS / sizeof KERNELS[0]};

uint32_t ferris_kernel_abi_version(void) {
#ifdef WRONG_VERSION
    return FERRIS_KERNEL_ABI_VERSION + 1;
#else
    return FERRIS_KERNEL_ABI_VERSION;
#endif
}

const FerrisPlugin *ferris_kernel_plugin(void) {
    return &PLUGIN;
}
