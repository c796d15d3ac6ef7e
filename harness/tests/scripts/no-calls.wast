;; purpose: modules only, no invocation.
(module (memory 1) (data (i32.const 0) "x"))
