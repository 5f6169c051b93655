/* The first image: one line on the serial console, exit status 0. */
#include "kernel.h"
#include "printf.h"

int main(void)
{
	printf("hello from labyrinth guest\n");
	return 0;
}
