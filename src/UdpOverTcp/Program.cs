using UdpOverTcp;

return await Entry.RunAsync(args).ConfigureAwait(false);
