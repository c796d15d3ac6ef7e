;; purpose: a dlopen of a valid module whose table (2^32-1 slots) or memory (65536 pages) is larger than the limits every engine shares is resource exhaustion, never a crash; the caller's table and memory stay as they were
;;
;; What is checked, and why this way:
;; - `(table 0xffffffff funcref)` and `(memory 65536)` are valid (§3.2.4,
;;   §3.2.5: within 2^32-1 elements and 2^16 pages), so every engine must
;;   accept the definitions below (checked: they compile everywhere).
;; - Instantiating them allocates 2^32-1 slots or 4 GiB (§4.5.3.3, §4.5.3.4).
;;   The spec lets an implementation restrict the size of a table or memory
;;   instance and report it as an error, at instantiation too (Appendix A.2
;;   "Execution"); its own suite therefore only ever declares such modules
;;   (`module definition` in wasm-v3 table.wast and memory.wast). Lockstep
;;   gives every engine the same caps (harness/src/limits.rs: 100000
;;   elements, 1024 pages), and a cap is a poison, not a verdict.
;; - So the honest assertion is exhaustion of the computation that asked for
;;   the allocation (`lockstep.dlopen` inside `load_*`): not a trap, not a
;;   link error, not -1, not success, and not the model's worker killed by
;;   SIGABRT while it tried to allocate 4 billion slots (the bug this covers).
;; - The caller's own table and memory are untouched afterwards: the refusal
;;   happens at allocation, before any segment or start function.
;; The `assert_exhaustion` checks pass once the script runner accepts a
;; named resource limit (Poison::Limit) for a message "resource limit", as it
;; accepts a stack exhaustion for "call stack exhausted".
(module definition $huge_table (table 0xffffffff funcref))
(module definition $huge_memory (memory 65536))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (data (i32.const 0) "huge_table")
  (data (i32.const 16) "huge_memory")
  (func (export "load_table") (result i32) (call $dlopen (i32.const 0) (i32.const 10)))
  (func (export "load_memory") (result i32) (call $dlopen (i32.const 16) (i32.const 11)))
  (func (export "table_size") (result i32) (table.size))
  (func (export "memory_size") (result i32) (memory.size)))

(assert_exhaustion (invoke $main "load_table") "resource limit")
(assert_exhaustion (invoke $main "load_memory") "resource limit")
(assert_return (invoke $main "table_size") (i32.const 1))
(assert_return (invoke $main "memory_size") (i32.const 1))
