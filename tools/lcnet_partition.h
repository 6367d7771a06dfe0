/* lcnet_partition.h — the `lcnet partition` command (lcnet_partition.c), called by lcnet's main. */
#ifndef LCNET_PARTITION_H
#define LCNET_PARTITION_H

/* argv: the arguments after "partition". Returns the exit status. */
int lcnet_partition(int argc, char **argv);

#endif
