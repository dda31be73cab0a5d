using System.Net;
using System.Net.Sockets;
using Automation.Tests.Infrastructure;

namespace Automation.Tests.Restock;

/// <summary>
/// An SMTP outage on demand: a loopback relay in front of the mail sink that answers the connections a test picks
/// with "421 service not available" and passes every other one through to the sink untouched.
/// </summary>
internal sealed class FlakySmtpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<int, bool> _refuse;
    private readonly Task _accepting;
    private int _connections;
    private int _refused;

    /// <param name="refuse">Given the connection's number (1, 2, …), whether the server is "down" for it.</param>
    public FlakySmtpRelay(Func<int, bool> refuse)
    {
        _refuse = refuse;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Refused => Volatile.Read(ref _refused);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client, Interlocked.Increment(ref _connections));
        }
    }

    private async Task RelayAsync(TcpClient client, int number)
    {
        using (client)
        {
            try
            {
                var downstream = client.GetStream();
                if (_refuse(number))
                {
                    Interlocked.Increment(ref _refused);
                    await downstream.WriteAsync("421 4.3.2 Service not available, closing transmission channel\r\n"u8.ToArray(), _stop.Token);
                    return;
                }

                using var upstream = new TcpClient();
                await upstream.ConnectAsync(IPAddress.Loopback, MailSink.SmtpPort, _stop.Token);
                var sink = upstream.GetStream();
                await Task.WhenAny(downstream.CopyToAsync(sink, _stop.Token), sink.CopyToAsync(downstream, _stop.Token));
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // The client or the sink hung up.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
