//! The process allocator of the LeIndex binaries (mimalloc) and the options it needs, set before `main`.
//! A binary links it with `use leindex_alloc as _;`; the engine library does not, so that a crate using the
//! engine (its tests included) keeps its own allocator.

/// `mi_option_arena_eager_commit` and `mi_option_purge_delay` in mimalloc v3's `include/mimalloc.h`
/// (`enum mi_option_e`; the `mimalloc` crate exports neither for v3).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Makes mimalloc commit memory only when it is used and return free pages at once, before `main` (a
/// constructor, via the `ctor` crate): mimalloc reserves its first arena at the first allocation, so setting
/// this in `main` is too late. Its defaults (arenas committed up front on Linux, free pages returned after
/// 10 ms) hold memory a budget has to count. Cold index of django under a 128 MiB budget: 132–169 MiB with
/// the defaults, 114–131 MiB without eager commit, 112–118 MiB with both changed (glibc: 111 MiB). Linux 6.1
/// cold index: 1.82 GiB peak with the defaults, 1.65 GiB without eager commit, 1.37–1.38 GiB with both, in
/// about the same time. The environment (`MIMALLOC_ARENA_EAGER_COMMIT`, `MIMALLOC_PURGE_DELAY`) still wins.
#[ctor::ctor(unsafe)]
fn init_allocator() {
    for (option, env) in [
        (MI_OPTION_ARENA_EAGER_COMMIT, c"MIMALLOC_ARENA_EAGER_COMMIT"),
        (MI_OPTION_PURGE_DELAY, c"MIMALLOC_PURGE_DELAY"),
    ] {
        // SAFETY: getenv reads the environment without allocating (nothing may allocate before the options
        // are set); before `main` no other thread exists to change it. mi_option_set sets a documented
        // option.
        unsafe {
            if libc::getenv(env.as_ptr()).is_null() {
                libmimalloc_sys::mi_option_set(option, 0);
            }
        }
    }
    fix_glibc_mmap_threshold();
}

/// glibc's `malloc` (DuckDB's C++ allocates from it) serves blocks of at least this many bytes with their
/// own `mmap`, returned to the OS as soon as they are freed. glibc's default (the same 128 KiB) is dynamic: a
/// freed mapped block raises the threshold to its size, after which DuckDB's 256 KiB buffer blocks come from
/// the heap and stay resident when freed. Fixing it (which also fixes the trim threshold) took a django live
/// writer's update under a 128 MiB budget from 117–153 MiB peak RSS to 106–108 MiB, the cold index from 122
/// to 112 MiB (three runs each, `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const GLIBC_MMAP_THRESHOLD: libc::c_int = 128 << 10;

/// Sets [`GLIBC_MMAP_THRESHOLD`] unless the environment sets glibc's malloc options itself
/// (`GLIBC_TUNABLES`, `MALLOC_MMAP_THRESHOLD_`); a no-op off glibc.
fn fix_glibc_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: as in `init_allocator` (getenv without allocating, no other thread yet); mallopt sets a
    // documented glibc malloc parameter.
    unsafe {
        if libc::getenv(c"GLIBC_TUNABLES".as_ptr()).is_null()
            && libc::getenv(c"MALLOC_MMAP_THRESHOLD_".as_ptr()).is_null()
        {
            libc::mallopt(libc::M_MMAP_THRESHOLD, GLIBC_MMAP_THRESHOLD);
        }
    }
}

/// The process's allocator (every binary that links this crate). glibc's `malloc` took about a fifth of a cold
/// index's CPU on Linux 6.1 (`perf`: `_int_malloc`, `malloc_consolidate`, `unlink_chunk`), the parse's many
/// small blocks freed in bulk. With mimalloc (its default options) the cold index took 2:27–2:52 against
/// 3:06 (same tree, same machine), with the same peak RSS; with the options `init_allocator` sets, a peak
/// 0.45 GiB lower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
