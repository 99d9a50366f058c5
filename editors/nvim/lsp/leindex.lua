-- The LeIndex language server for Neovim 0.11+: `vim.lsp.enable('leindex')` starts `leindex lsp` for the
-- supported filetypes, rooted at the nearest .leindex.toml / VCS marker, with live code lenses. Options
-- (`lenses`, `budget`, `cmd`, ...) go through require('leindex').setup{} or vim.lsp.config('leindex', {...}).
return require('leindex').lsp_config()
