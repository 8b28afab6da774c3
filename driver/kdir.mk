# SPDX-License-Identifier: GPL-2.0
# Included by driver/Makefile and driver/nvme-core/Makefile with KDIR set;
# sets KMAKEFLAGS for `$(MAKE) -C $(KDIR)`.
#
# Debian's linux-headers-*-amd64/Makefile is one line that includes the
# -common tree by its absolute /usr/src path; when the packages are unpacked
# elsewhere (the project cache), point make at the -common Makefile next to
# KDIR instead. Only an absolute, variable-free `include /.../Makefile`
# counts: a full kernel tree's top Makefile includes relative and $(srctree)
# paths (scripts/Kbuild.include, ...), and such a KDIR is used as it is.
KDIR_INC := $(firstword $(shell sed -n 's|^include[[:space:]][[:space:]]*\(/[^$$[:space:]]*/Makefile\)[[:space:]]*$$|\1|p' '$(KDIR)/Makefile' 2>/dev/null))
ifneq ($(KDIR_INC),)
ifeq ($(wildcard $(KDIR_INC)),)
KMAKEFLAGS := -f $(abspath $(KDIR)/../$(notdir $(patsubst %/Makefile,%,$(KDIR_INC))))/Makefile
endif
endif
