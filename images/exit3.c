/* Writes 3 to the debug-exit port: ./vmm must exit with status 3. */
#include "exit.h"
#include "kernel.h"

int main(void)
{
	guest_exit(3);
}
