/* A shared object without a Nimbus descriptor. */
int tp_no_descriptor_answer(void);
int tp_no_descriptor_answer(void) { return 42; }
