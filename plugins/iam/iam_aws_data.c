/* The generated file aws_managed_policies.gz, built into the plugin as it is (compressed),
 * so that the plugin needs no data folder at run time. IAM_AWS_DATA is its path (CMakeLists.txt). */
__asm__(".section .rodata\n"
        ".balign 16\n"
        ".globl iam_aws_gz\n"
        ".hidden iam_aws_gz\n"
        "iam_aws_gz:\n"
        ".incbin \"" IAM_AWS_DATA "\"\n"
        ".globl iam_aws_gz_end\n"
        ".hidden iam_aws_gz_end\n"
        "iam_aws_gz_end:\n"
        ".previous\n");
