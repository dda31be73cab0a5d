using System.Diagnostics;

namespace Automation.Tests.Infrastructure;

/// <summary>
/// An Azurite of a test's own that keeps its data on disk, so it can be stopped (storage goes away) and started again
/// on the same ports with the same data (storage comes back).
/// </summary>
public sealed class AzuriteServer : IDisposable
{
    private readonly int _blob = LocalServices.FreePort();
    private readonly int _queue = LocalServices.FreePort();
    private readonly int _table = LocalServices.FreePort();
    private readonly string _location = Directory.CreateTempSubdirectory("azurite-").FullName;
    private Process? _process;

    public string ConnectionString => Azurite.ConnectionStringFor(_blob, _queue, _table);

    public async Task StartAsync()
    {
        _process = LocalServices.StartNodeTool("azurite",
            $"--silent --skipApiVersionCheck --disableProductStyleUrl --location {_location} --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --blobPort {_blob} --queuePort {_queue} --tablePort {_table}",
            "azurite-own");
        foreach (var port in new[] { _blob, _queue, _table })
        {
            await LocalServices.WaitForPortAsync(port, _process, "Azurite", TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Stops it the way an operator would (SIGTERM: Azurite saves its data), and waits until its ports are closed.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        await LocalServices.SignalAsync(_process, "TERM");
        if (!_process.WaitForExit(15_000)) _process.Kill(entireProcessTree: true);
        _process = null;
    }

    public void Dispose()
    {
        LocalServices.Stop(_process);
        try { Directory.Delete(_location, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The local host as its own process, as <c>run.sh</c> starts it (<c>dotnet Automation.LocalHost.dll</c>, settings from
/// environment variables), so a test can stop it with a signal or watch it outlive a storage outage.
/// </summary>
public sealed class LocalHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private LocalHostProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return string.Join(Environment.NewLine, _output); }
    }

    public static async Task<LocalHostProcess> StartAsync(string storage, IDictionary<string, string> settings)
    {
        var port = LocalServices.FreePort();
        var root = Directory.CreateTempSubdirectory("automation-host-").FullName;
        File.Copy(Path.Combine(LocalServices.RepositoryRoot, "host.json"), Path.Combine(root, "host.json"));
        var start = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "Automation.LocalHost.dll"))
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["AzureWebJobsStorage"] = storage;
        start.Environment["urls"] = $"http://127.0.0.1:{port}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        foreach (var (name, value) in settings) start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the local host.");
        var host = new LocalHostProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => host.Record(e.Data);
        process.ErrorDataReceived += (_, e) => host.Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await LocalServices.WaitForPortAsync(port, process, "the local host", TimeSpan.FromSeconds(60));
        return host;
    }

    /// <summary>Sends SIGTERM (what Ctrl+C in run.sh, systemd or a container runtime send) and measures how long it takes to exit.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        await LocalServices.SignalAsync(_process, "TERM");
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The local host did not exit within {patience} of SIGTERM. Its output:{Environment.NewLine}{Output}");
        }

        return clock.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Add(line);
    }
}
