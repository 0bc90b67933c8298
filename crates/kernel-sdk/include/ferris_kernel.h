/*
 * ferris_kernel.h: the C ABI of ferris-executor kernel plugins, version 1.
 *
 * A plugin is a shared library exporting the two functions at the end of this file. The
 * rules (who owns which memory, threads, errors, versioning) are in ABI.md next to this
 * header; the Rust SDK (crate ferris-kernel-sdk) implements the plugin side of them.
 */
#ifndef FERRIS_KERNEL_H
#define FERRIS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FERRIS_KERNEL_ABI_VERSION 1u

/* Parameter kinds a kernel declares. */
#define FERRIS_PARAM_COUNT 1u        /* a non-negative safe integer, as a double */
#define FERRIS_PARAM_NUMBER 2u       /* a finite double */
#define FERRIS_PARAM_FLOAT64ARRAY 3u /* a Float64Array */
#define FERRIS_PARAM_UINT8ARRAY 4u   /* a Uint8Array or Buffer */
#define FERRIS_PARAM_STRING 5u       /* a string, as UTF-8 bytes (not NUL-terminated) */

/* Tags of the arguments a kernel receives. */
#define FERRIS_ARG_MISSING 0u /* an optional argument left out */
#define FERRIS_ARG_NUMBER 1u
#define FERRIS_ARG_FLOAT64ARRAY 2u
#define FERRIS_ARG_UINT8ARRAY 3u
#define FERRIS_ARG_STRING 4u

/* Tags of a kernel's result. */
#define FERRIS_RESULT_NULL 0u
#define FERRIS_RESULT_NUMBER 1u
#define FERRIS_RESULT_FLOAT64ARRAY 2u
#define FERRIS_RESULT_UINT32ARRAY 3u
#define FERRIS_RESULT_UINT8ARRAY 4u
#define FERRIS_RESULT_ERROR 5u /* data/len: UTF-8 message; rejects with KernelError */
#define FERRIS_RESULT_PANIC 6u /* data/len: UTF-8 message; rejects with KernelPanicError */

/* One argument, borrowed from the host for the duration of the call. */
typedef struct FerrisArg {
    uint32_t tag;     /* FERRIS_ARG_* */
    double number;    /* FERRIS_ARG_NUMBER */
    const void *data; /* arrays: first element; string: UTF-8 bytes */
    size_t len;       /* arrays: elements; string: bytes */
} FerrisArg;

/* Frees what a kernel returned; the host calls it once, from any thread. */
typedef void (*FerrisFreeFn)(uint32_t tag, void *data, size_t len);

/* A kernel's result. The host sets it to {FERRIS_RESULT_NULL, 0, NULL, 0, NULL} first. */
typedef struct FerrisResult {
    uint32_t tag;      /* FERRIS_RESULT_* */
    double number;     /* FERRIS_RESULT_NUMBER */
    void *data;        /* arrays: elements (malloc-aligned); error, panic: message bytes */
    size_t len;        /* arrays: elements; error, panic: bytes */
    FerrisFreeFn free; /* how the host gives `data` back; NULL: nothing to free */
} FerrisResult;

typedef struct FerrisContext FerrisContext;

/* A forked piece of work, and a piece [start, end) of a parallel range. */
typedef void (*FerrisTaskFn)(const FerrisContext *ctx, void *data);
typedef void (*FerrisRangeFn)(const FerrisContext *ctx, void *data, size_t start, size_t end);

/* The host's services, valid during the call (or forked piece) it is passed to. */
struct FerrisContext {
    const void *host; /* the host's own state: do not touch */
    /* True once the task should stop (time limit reached, executor torn down). */
    bool (*is_cancelled)(const FerrisContext *ctx);
    /* Worker threads of the host's pool. */
    size_t (*workers)(const FerrisContext *ctx);
    /* Runs a(ctx_a, a_data) and b(ctx_b, b_data), potentially in parallel; returns when both have. */
    void (*join)(const FerrisContext *ctx, FerrisTaskFn a, void *a_data, FerrisTaskFn b, void *b_data);
    /* Calls body on disjoint pieces covering [start, end) of at most grain items (0: the host
     * picks), in parallel; pieces not yet started when the task is cancelled are skipped. */
    void (*for_range)(const FerrisContext *ctx, size_t start, size_t end, size_t grain, FerrisRangeFn body,
                      void *data);
};

/* A kernel: reads nargs arguments (one per declared parameter), writes *out. It must return
 * normally (no exception, longjmp or unwinding) and may run on several threads at once. */
typedef void (*FerrisKernelFn)(const FerrisContext *ctx, const FerrisArg *args, size_t nargs, FerrisResult *out);

typedef struct FerrisKernelDesc {
    const char *name;       /* NUL-terminated UTF-8, unique in the process */
    const uint32_t *params; /* n_params FERRIS_PARAM_* codes */
    size_t n_params;        /* at most 64 */
    size_t optional;        /* how many of the last params may be left out */
    FerrisKernelFn run;
} FerrisKernelDesc;

typedef struct FerrisPlugin {
    const FerrisKernelDesc *kernels;
    size_t n_kernels;
} FerrisPlugin;

/* The two exports. The host calls ferris_kernel_abi_version first and refuses the library
 * unless it returns FERRIS_KERNEL_ABI_VERSION; only then does it call ferris_kernel_plugin,
 * whose table (static memory) must stay valid while the library is loaded. */
uint32_t ferris_kernel_abi_version(void);
const FerrisPlugin *ferris_kernel_plugin(void);

#ifdef __cplusplus
}
#endif

#endif /* FERRIS_KERNEL_H */
