;; purpose: two invocations; an engine that is wrong at the first and
;; crashes at the second must show both.
(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "two") (result i32) (i32.const 2)))
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "two") (i32.const 2))
(assert_return (invoke "one") (i32.const 1))
