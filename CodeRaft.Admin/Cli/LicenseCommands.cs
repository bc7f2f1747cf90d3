using System.CommandLine;
using System.Globalization;
using System.Text;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Cli;

/// <summary>
/// <c>license verify FILE</c>, <c>license install FILE</c>, <c>license list</c>, <c>license remove --product P</c>
/// (CONTRACTS §2 and §7; docs/cli.md, docs/licensing.md). They run <see cref="LicenseManagementCore"/> as
/// <see cref="UserOperator.HostCli"/>: the console's checks (trusted keys, installed organization, the licensing clock),
/// every refused key audited as <c>license.rejected</c>, every change audited as <c>cli</c>.
/// Exit codes: 0 valid / done, 1 the license is invalid (refused), 2 bad arguments or an unreadable file.
/// </summary>
internal static class LicenseCommands
{
    /// <summary>
    /// Far above any license file (a key is at most <see cref="LicenseVerifier.MaxKeyLength"/> characters), so that an
    /// oversized file up to this size is still refused by the verifier's file rule with its real size, and audited.
    /// Beyond it nothing is read: the file is not a license, and the CLI does not load arbitrary files into memory.
    /// </summary>
    internal const int MaxFileBytes = 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Command Create() => Create(async ct =>
    {
        var host = await CliHost.StartAsync(ct);
        return (host.Services, host);
    });

    internal static Command Create(UsersCommands.ServicesFactory start)
    {
        var verifyFile = new Argument<string>("FILE") { Description = "A license file: the key CRL1.… as text (surrounding whitespace ignored)." };
        var verify = new Command("verify", "Check a license file as installing it would (signature, trusted key, organization, dates) without installing it; prints the payload, then VALID or INVALID: <reason>.")
        {
            verifyFile,
        };
        verify.SetAction((parse, ct) => VerifyAsync(start, parse.GetValue(verifyFile), parse.InvocationConfiguration.Output, ct));

        var installFile = new Argument<string>("FILE") { Description = "A license file: the key CRL1.… as text (surrounding whitespace ignored)." };
        var install = new Command("install", "Install a license file, replacing the product's installed license (kept in the history).") { installFile };
        install.SetAction((parse, ct) => InstallAsync(start, parse.GetValue(installFile), parse.InvocationConfiguration.Output, ct));

        var list = new Command("list", "List the products' licenses: product, state, organization, plan, seats used/total, expiry, license id.");
        list.SetAction((parse, ct) => ListAsync(start, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));

        var product = new Option<string>("--product") { Description = "entraguard, ravenscan or redfox-bastion.", Required = true };
        var remove = new Command("remove", "Break-glass: remove a product's installed license (kept in the history). Users keep their access; new grants are refused.")
        {
            product,
        };
        remove.SetAction((parse, ct) => RemoveAsync(start, parse.GetValue(product), parse.InvocationConfiguration.Output, ct));

        return new Command("license", "Verify, install, list and remove license keys.") { verify, install, list, remove };
    }

    private static async Task<int> VerifyAsync(UsersCommands.ServicesFactory start, string? path, TextWriter output, CancellationToken cancellationToken)
    {
        // Read before the store is opened: a mistyped path touches nothing.
        var file = await ReadFileAsync(path, cancellationToken);
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var check = await services.GetRequiredService<LicenseManagementCore>().PreviewFileAsync(UserOperator.HostCli, file, cancellationToken);
            if (check.Denial is { } denial)
            {
                throw new CliRefusedException(UsersCommands.Printable(denial));
            }

            // What the key claims, unverified, so an operator can see what was refused; JSON escapes control characters.
            if (LicenseVerifier.ReadPayloadForDisplay(Text(file)) is { } payload)
            {
                await output.WriteLineAsync(payload);
            }

            if (check.Preview is not { } preview)
            {
                await output.WriteLineAsync("INVALID: " + UsersCommands.Printable(check.Rejection!.Message));
                return AdminStartupException.CheckFailed;
            }

            foreach (var line in Impact(preview))
            {
                await output.WriteLineAsync(line);
            }

            await output.WriteLineAsync("VALID");
            return 0;
        }
    }

    private static async Task<int> InstallAsync(UsersCommands.ServicesFactory start, string? path, TextWriter output, CancellationToken cancellationToken)
    {
        var file = await ReadFileAsync(path, cancellationToken);
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var result = await services.GetRequiredService<LicenseManagementCore>().InstallFileAsync(UserOperator.HostCli, file, cancellationToken);
            switch (result.Outcome)
            {
                case LicenseOutcome.Rejected:
                    throw new CliRefusedException("INVALID: " + UsersCommands.Printable(result.Message));
                case LicenseOutcome.Denied:
                    throw new CliRefusedException(UsersCommands.Printable(result.Message));
                default:
                    await output.WriteLineAsync(UsersCommands.Printable(result.Message));
                    return 0;
            }
        }
    }

    private static async Task<int> ListAsync(UsersCommands.ServicesFactory start, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var snapshot = await services.GetRequiredService<LicenseCatalog>().GetAsync(cancellationToken);
            Dictionary<Product, int> inUse;
            var contexts = services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                inUse = await db.ProductAccess.AsNoTracking().GroupBy(a => a.Product).Select(g => new { g.Key, Count = g.Count() })
                    .ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
            }

            string[] header = ["PRODUCT", "STATE", "ORGANIZATION", "PLAN", "SEATS", "EXPIRES", "LICENSE ID"];
            var rows = snapshot.Products.Select(p => Row(p, inUse.GetValueOrDefault(p.Product))).ToList();
            await CliTable.WriteAsync(output, header, rows);

            // The reason does not fit a column: one sentence per product whose installed key is not honoured.
            foreach (var invalid in snapshot.Products.Where(p => p.Invalid is not null))
            {
                await output.WriteLineAsync($"{invalid.Product.DisplayName()}: the installed license is not valid ({invalid.Invalid!.Code}): {UsersCommands.Printable(invalid.Invalid.Message)}");
            }

            if (snapshot.Clock.RolledBack)
            {
                await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"warning: the system clock ({snapshot.Clock.SystemNow.UtcDateTime:yyyy-MM-dd HH:mm} UTC) is more than 24 hours behind the latest time this portal has seen ({snapshot.Clock.LatestSeen.UtcDateTime:yyyy-MM-dd HH:mm} UTC); licenses are judged at the latter."));
            }

            return 0;
        }
    }

    private static async Task<int> RemoveAsync(UsersCommands.ServicesFactory start, string? productText, TextWriter output, CancellationToken cancellationToken)
    {
        // The contract's ids only, checked before the store is opened.
        var product = Products.All.Cast<Product?>().FirstOrDefault(p => p!.Value.Id() == productText?.Trim().ToLowerInvariant())
            ?? throw new CliUsageException("--product must be one of entraguard, ravenscan, redfox-bastion.");
        var (services, lifetime) = await start(cancellationToken);
        await using (lifetime)
        {
            var result = await services.GetRequiredService<LicenseManagementCore>().RemoveAsync(UserOperator.HostCli, product, cancellationToken: cancellationToken);
            switch (result.Outcome)
            {
                case LicenseOutcome.Denied:
                    throw new CliRefusedException(UsersCommands.Printable(result.Message));
                case LicenseOutcome.NotFound:
                    await output.WriteLineAsync(result.Message + " Nothing was changed.");
                    return 0;
                default:
                    await output.WriteLineAsync(UsersCommands.Printable(result.Message));
                    return 0;
            }
        }
    }

    /// <summary>What installing the license would do, in the words of the console's preview.</summary>
    private static IEnumerable<string> Impact(LicensePreview preview)
    {
        var license = preview.License;
        yield return string.Create(CultureInfo.InvariantCulture,
            $"{license.Product.DisplayName()} license {license.LicenseId} for {UsersCommands.Printable(license.OrganizationName)} ({license.OrganizationId}), plan {license.PlanText}.");
        yield return string.Create(CultureInfo.InvariantCulture,
            $"State: {preview.StateAtInstall}; expires {license.ExpiresAt.UtcDateTime:yyyy-MM-dd}, grace period until {license.GraceEndsAt.UtcDateTime:yyyy-MM-dd}.");
        yield return preview.OverAllocated
            ? string.Create(CultureInfo.InvariantCulture,
                $"Seats: {license.MaxUsers}, {preview.SeatsInUse} in use: over-allocated, so no new grants until {preview.SeatsInUse - license.MaxUsers + 1} users lose access (nobody loses it automatically).")
            : string.Create(CultureInfo.InvariantCulture, $"Seats: {license.MaxUsers}, {preview.SeatsInUse} in use.");
        if (preview.FeaturesNotGranted.Count > 0)
        {
            yield return $"Not granted (enterprise plan only): {string.Join(", ", preview.FeaturesNotGranted)}.";
        }

        if (license.SignedByConfiguredKey)
        {
            yield return $"Development license: signed by a key from {TrustedLicenseKeys.ConfigurationKey}, not by a key embedded in the portal; a Production portal refuses it.";
        }

        if (preview.AlreadyInstalled)
        {
            yield return "This license is already installed.";
        }
        else if (preview.Replaces is { } replaced)
        {
            yield return $"Installing it replaces the installed license {replaced.LicenseId}; features gained: {List(preview.FeaturesGained)}; lost: {List(preview.FeaturesLost)}.";
        }
    }

    private static string[] Row(ProductLicense product, int seatsInUse)
    {
        var row = product.Row;
        var license = product.License;
        return
        [
            product.Product.Id(),
            product.Invalid is not null ? "not valid" : license?.SignedByConfiguredKey == true ? $"{product.State} (development)" : product.State,
            // From the verified key when there is one: the row's readable copy is not what counts.
            row is null ? "" : $"{UsersCommands.Printable(license?.OrganizationName ?? row.OrganizationName)} ({UsersCommands.Printable(license?.OrganizationId ?? row.OrganizationId)})",
            license?.PlanText ?? "",
            string.Create(CultureInfo.InvariantCulture, $"{seatsInUse}/{(license is null ? "-" : license.MaxUsers.ToString(CultureInfo.InvariantCulture))}"),
            license is null ? "" : license.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            row?.LicenseId.ToString() ?? "",
        ];
    }

    private static string List(IReadOnlyList<string> values) => values.Count == 0 ? "none" : string.Join(", ", values);

    /// <summary>The file as text when it is UTF-8, for the payload print-out; the core applies the file rules itself.</summary>
    private static string? Text(byte[] file)
    {
        try
        {
            return StrictUtf8.GetString(file);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Reads at most <see cref="MaxFileBytes"/>; a missing, unreadable or huge file is a usage error (exit 2).</summary>
    internal static async Task<byte[]> ReadFileAsync(string? path, CancellationToken cancellationToken)
    {
        // A named pipe blocks in open(2) until someone writes to it: bound the whole read, then give up with a sentence.
        try
        {
            return await Task.Run(() => ReadBoundedAsync(path, cancellationToken), cancellationToken).WaitAsync(FileReadTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new CliUsageException($"The license file {UsersCommands.Printable(path ?? "")} could not be read within {FileReadTimeout.TotalSeconds:N0} seconds (is it a pipe or a device?).");
        }
    }

    private static readonly TimeSpan FileReadTimeout = TimeSpan.FromSeconds(10);

    private static async Task<byte[]> ReadBoundedAsync(string? path, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new CliUsageException("Name the license file, e.g. license verify coderaft.lic.");
        }

        var shown = UsersCommands.Printable(path);
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
            var buffer = new byte[MaxFileBytes + 1];
            var read = 0;
            int last;
            while (read < buffer.Length && (last = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
            {
                read += last;
            }

            return read > MaxFileBytes
                ? throw new CliUsageException($"The file {shown} is larger than 1 MiB, so it is not a license file (a license key is a few kilobytes of text).")
                : buffer[..read];
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliUsageException($"The license file {shown} does not exist.");
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliUsageException($"The license file {shown} cannot be read (permission denied, or it is a directory).");
        }
        catch (IOException)
        {
            throw new CliUsageException($"The license file {shown} cannot be read.");
        }
    }
}
