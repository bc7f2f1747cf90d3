using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CodeRaft.Admin.Bench.Startup;

/// <summary>
/// Launches the built CodeRaft.Admin.dll the way an operator does (<c>dotnet CodeRaft.Admin.dll</c>) and times it.
/// Every wait is bounded, every process started here is killed before the method returns, and HTTP goes to
/// 127.0.0.1 only (no proxy).
/// </summary>
internal sealed class AppProcess(string appDll, string masterSecret)
{
    private static readonly TimeSpan _readyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan _cliTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan _pollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan _exitTimeout = TimeSpan.FromSeconds(10);

    // Settings that would point the app at another database, secret or address than the benchmark's own.
    private static readonly string[] _inheritedSettingsToDrop =
    [
        "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS", "DOTNET_ENVIRONMENT",
        "ConnectionStrings__Admin", "Encryption__MasterSecretFile",
    ];

    private static readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(1),
        PooledConnectionLifetime = TimeSpan.FromSeconds(1),
    })
    {
        Timeout = TimeSpan.FromSeconds(2),
    };

    /// <summary><c>dotnet CodeRaft.Admin.dll --help</c>: runtime start, assembly load and the CLI, no server.</summary>
    public async Task<TimeSpan> TimeCliHelpAsync(string dataDirectory)
    {
        var output = new OutputTail();
        var stopwatch = Stopwatch.StartNew();
        using var process = Start(["--help"], dataDirectory, output);
        try
        {
            using var timeout = new CancellationTokenSource(_cliTimeout);
            await process.WaitForExitAsync(timeout.Token);
            var elapsed = stopwatch.Elapsed;
            if (process.ExitCode != 0)
            {
                throw new BenchmarkFailedException($"'dotnet CodeRaft.Admin.dll --help' exited with code {process.ExitCode}: {output}");
            }

            return elapsed;
        }
        catch (OperationCanceledException)
        {
            throw new BenchmarkFailedException($"'dotnet CodeRaft.Admin.dll --help' did not finish within {_cliTimeout.TotalSeconds:F0} s.");
        }
        finally
        {
            Stop(process);
        }
    }

    /// <summary>From process start until GET /readyz answers 200 (database reachable, key ring unlocked).</summary>
    public async Task<TimeSpan> TimeToReadyAsync(string dataDirectory)
    {
        var port = FreeLoopbackPort();
        var readyz = new Uri($"http://127.0.0.1:{port}/readyz");
        var output = new OutputTail();
        var stopwatch = Stopwatch.StartNew();
        using var process = Start(["--urls", $"http://127.0.0.1:{port}"], dataDirectory, output);
        try
        {
            while (stopwatch.Elapsed < _readyTimeout)
            {
                if (await IsReadyAsync(readyz))
                {
                    return stopwatch.Elapsed;
                }

                if (process.HasExited)
                {
                    throw new BenchmarkFailedException($"The app exited with code {process.ExitCode} before /readyz answered 200: {output}");
                }

                await Task.Delay(_pollInterval);
            }

            throw new BenchmarkFailedException($"/readyz did not answer 200 within {_readyTimeout.TotalSeconds:F0} s: {output}");
        }
        finally
        {
            Stop(process);
        }
    }

    /// <summary>
    /// Starts the server on a free loopback port and returns once /readyz answers 200; dispose to stop it.
    /// <paramref name="environment"/> "Development" serves static web assets (blazor.web.js, MudBlazor's files)
    /// from the build output's manifest, as `dotnet run` does; in Production only a published app has them.
    /// </summary>
    public async Task<RunningApp> StartServerAsync(string dataDirectory, string environment = "Production")
    {
        var port = FreeLoopbackPort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var output = new OutputTail();
        var stopwatch = Stopwatch.StartNew();
        var process = Start(["--urls", $"http://127.0.0.1:{port}"], dataDirectory, output, environment);
        while (stopwatch.Elapsed < _readyTimeout)
        {
            if (await IsReadyAsync(new Uri(baseAddress, "readyz")))
            {
                return new RunningApp(process, baseAddress);
            }

            if (process.HasExited)
            {
                break;
            }

            await Task.Delay(_pollInterval);
        }

        Stop(process);
        process.Dispose();
        throw new BenchmarkFailedException($"The app did not become ready within {_readyTimeout.TotalSeconds:F0} s: {output}");
    }

    /// <summary>A server started by <see cref="StartServerAsync"/>; killed on dispose.</summary>
    internal sealed class RunningApp(Process process, Uri baseAddress) : IDisposable
    {
        public Uri BaseAddress { get; } = baseAddress;

        public void Dispose()
        {
            Stop(process);
            process.Dispose();
        }
    }

    private Process Start(string[] arguments, string dataDirectory, OutputTail output, string environment = "Production")
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(appDll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(appDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in _inheritedSettingsToDrop)
        {
            start.Environment.Remove(name);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        start.Environment["CODERAFT_MASTER_SECRET"] = masterSecret;
        start.Environment["Storage__DataDirectory"] = dataDirectory;
        start.Environment["Database__Provider"] = "Sqlite";

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        if (!process.Start())
        {
            process.Dispose();
            throw new BenchmarkFailedException($"'{start.FileName}' could not be started.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<bool> IsReadyAsync(Uri readyz)
    {
        try
        {
            using var response = await _http.GetAsync(readyz);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false; // not listening yet
        }
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // exited between the check and the kill
        }

        if (!process.WaitForExit(_exitTimeout))
        {
            throw new BenchmarkFailedException($"Process {process.Id} did not exit within {_exitTimeout.TotalSeconds:F0} s of being killed.");
        }
    }

    /// <summary>The dotnet host running this benchmark when there is one, else the one on PATH.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The last lines the app printed, to explain a failed launch; the rest is discarded.</summary>
    private sealed class OutputTail
    {
        private const int MaxLines = 15;
        private readonly Queue<string> _lines = new();

        public void Add(string? line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                return;
            }

            lock (_lines)
            {
                _lines.Enqueue(line.Trim());
                if (_lines.Count > MaxLines)
                {
                    _lines.Dequeue();
                }
            }
        }

        public override string ToString()
        {
            lock (_lines)
            {
                return _lines.Count == 0 ? "(no output)" : string.Join(" | ", _lines);
            }
        }
    }
}

/// <summary>A measurement could not be taken; the message is one sentence for the person running the benchmark.</summary>
internal sealed class BenchmarkFailedException(string message) : Exception(message);
