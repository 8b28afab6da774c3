# SPDX-License-Identifier: GPL-2.0
# Included by driver/Makefile and driver/nvme-core/Makefile with KDIR set;
# sets KMAKEFLAGS for `$(MAKE) -C $(KDIR)`.
#
# Debian's linux-headers-*-amd64/Makefile includes the -common tree by its
# absolute /usr/src path; when the packages are unpacked elsewhere (the
# project cache), point make at the -common Makefile next to KDIR instead.
KDIR_INC := $(shell sed -n 's/^include[[:space:]][[:space:]]*//p' '$(KDIR)/Makefile' 2>/dev/null)
ifneq ($(KDIR_INC),)
ifeq ($(wildcard $(KDIR_INC)),)
KMAKEFLAGS := -f $(abspath $(KDIR)/../$(notdir $(patsubst %/Makefile,%,$(KDIR_INC))))/Makefile
endif
endif
