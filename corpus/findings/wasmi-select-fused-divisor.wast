;; finding: wasmi 2.0.0's fused `select` (wasmi-select-fused-condition.wast),
;; in the face a campaign meets it in wasm-smith code: the guard of a
;; division `x % (select 1 y (i32.eqz y))`, with `x` a global (a fuel
;; counter, as wasm-smith's termination guard keeps one). With `y` = 0 the
;; divisor is 1 (§4.4.4: `select` returns its first operand when the
;; condition is non-zero), so the remainder is 0 and the function sets the
;; fuel to 0 and traps `unreachable`; wasmi divides by `y` and traps
;; "integer divide by zero" before the global is set. The fuel then
;; differs: the next call traps at its fuel check in the reference and
;; returns in wasmi, and every host call observes the global; a division
;; alone returns in the reference and traps in wasmi (seed 7, case 2515
;; before the generators varied modules). Found by
;; `lockstep fuzz --seed 7` (case 175, a wasm-smith pair) with the
;; signatures below; minimised by delta debugging and by hand.
;; expect: wasmi 36 outcome:trap(unreachable)/trap(integer-divide-by-zero)
;; expect: wasmi 36 global:#0.0:value
;; expect: wasmi 37 outcome:trap(unreachable)/returned
;; expect: wasmi 38 host-call:lockstep.dlopen:global:#0.0:value
;; expect: wasmi 39 host-call:lockstep.dlsym:global:#0.0:value
;; expect: wasmi 40 outcome:returned/trap(integer-divide-by-zero)
(module
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 0 funcref)
  (global $fuel (mut i32) (i32.const 2000))
  (func (export "run") (param i32) (result i32)
    (if (i32.eqz (global.get $fuel)) (then (unreachable)))
    (if (i32.eqz (i32.rem_s (global.get $fuel) (select (i32.const 1) (local.get 0) (i32.eqz (local.get 0)))))
      (then (global.set $fuel (i32.const 0)) (unreachable)))
    (i32.const 0))
  (func (export "rem") (param i32) (result i32)
    (i32.rem_s (global.get $fuel) (select (i32.const 1) (local.get 0) (i32.eqz (local.get 0)))))
  (func (export "open") (result i32) (call $dlopen (i32.const 0) (i32.const 0)))
  (func (export "sym") (result i32) (call $dlsym (i32.const 0) (i32.const 0) (i32.const 0))))
(assert_trap (invoke "run" (i32.const 0)) "unreachable")
(assert_trap (invoke "run" (i32.const 3)) "unreachable")
(assert_return (invoke "open") (i32.const -1))
(assert_return (invoke "sym") (i32.const -1))
(assert_return (invoke "rem" (i32.const 0)) (i32.const 0))
