package stream

// DeadLetterOf exports deadLetterOf to the tests of package stream_test.
var DeadLetterOf = deadLetterOf
