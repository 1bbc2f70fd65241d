// Translation unit that owns the torch precompiled header (see wf_torch.cmake).
