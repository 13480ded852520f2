#include "CSocketShim.h"
int pm_socketshim_placeholder(void) { return 0; }
