;; A scenario of the engine's own repository: a counter in a global, past
;; 123456789. book/ci/test.sh builds Lockstep against a copy of wasmi
;; patched so that 123456789 + 1 is 0, and checks that this script fails.
(module
  (global $n (export "n") (mut i32) (i32.const 123456789))
  (func (export "next") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n)))
(assert_return (invoke "next") (i32.const 123456790))
(assert_return (invoke "next") (i32.const 123456791))
