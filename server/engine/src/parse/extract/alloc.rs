//! tree-sitter's C allocations routed to mimalloc (why: see [`super::new_parser`]).

/// Makes tree-sitter allocate through mimalloc. Idempotent; must run before any tree-sitter object
/// exists, so `new_parser` calls it before making each parser.
pub(super) fn use_mimalloc() {
    static ALLOCATOR: std::sync::Once = std::sync::Once::new();
    ALLOCATOR.call_once(|| {
        // SAFETY: the four functions are mimalloc's (one family), which returns blocks aligned as libc's
        // `malloc`; the wrappers abort where it would return null (out of memory), as tree-sitter's own
        // allocator does. The call is made once, before any tree-sitter object exists: every parser is
        // created after it, in `new_parser`.
        unsafe {
            tree_sitter::set_allocator(Some(tree_sitter::Allocator {
                malloc: ts_malloc,
                calloc: ts_calloc,
                realloc: ts_realloc,
                free: libmimalloc_sys::mi_free,
            }));
        }
    });
}

/// Aborts when `p` is null for a non-zero `size`: tree-sitter does not check its allocator's results.
fn non_null(p: *mut std::ffi::c_void, size: usize) -> *mut std::ffi::c_void {
    if p.is_null() && size != 0 {
        eprintln!("leindex: out of memory allocating {size} bytes for tree-sitter");
        std::process::abort();
    }
    p
}

unsafe extern "C" fn ts_malloc(size: usize) -> *mut std::ffi::c_void {
    // SAFETY: a plain allocation.
    non_null(unsafe { libmimalloc_sys::mi_malloc(size) }, size)
}

unsafe extern "C" fn ts_calloc(n: usize, size: usize) -> *mut std::ffi::c_void {
    // SAFETY: a plain allocation.
    non_null(
        unsafe { libmimalloc_sys::mi_calloc(n, size) },
        n.saturating_mul(size),
    )
}

unsafe extern "C" fn ts_realloc(p: *mut std::ffi::c_void, size: usize) -> *mut std::ffi::c_void {
    // SAFETY: `p` came from these functions (tree-sitter only reallocates its own blocks).
    non_null(unsafe { libmimalloc_sys::mi_realloc(p, size) }, size)
}
