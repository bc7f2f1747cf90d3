using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>Runs the real portal binary (server or CLI) as a child process, exactly as an operator would.</summary>
public static class AppProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public string[] ErrorLines => StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static string AppDll { get; } = Path.Combine(AppContext.BaseDirectory, "CodeRaft.Admin.dll");

    /// <summary>
    /// The environment of a portal process on <paramref name="dataDirectory"/> unlocked with <paramref name="masterSecret"/>
    /// (environment name, data directory, master secret, warnings only), plus <paramref name="extra"/> settings.
    /// </summary>
    public static Dictionary<string, string?> Environment(string dataDirectory, string masterSecret, string environmentName = "Production",
        params (string Key, string? Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = environmentName,
            ["Storage__DataDirectory"] = dataDirectory,
            ["CODERAFT_MASTER_SECRET"] = masterSecret,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>Runs to completion (bounded). Only the given environment is added; nothing is inherited from CODERAFT_*.</summary>
    public static async Task<Result> RunAsync(string workingDirectory, IDictionary<string, string?> environment, params string[] args)
    {
        using var process = Start(workingDirectory, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    public static Process Start(string workingDirectory, IDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(AppDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("CODERAFT_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls until the URL answers 200 (bounded), or the process exits.</summary>
    public static async Task WaitUntilReadyAsync(Process process, Uri url, TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The portal exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                using var response = await client.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // slow first answer
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{url} did not answer 200 within {timeout}.");
    }
}
