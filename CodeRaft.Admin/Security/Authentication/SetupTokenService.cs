using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Security.Encryption;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Security.Authentication;

/// <summary>
/// The one-time setup token of the first run (README.md beside this file). Only its SHA-256 is kept in memory;
/// the token itself is on the console once and in <c>{DataDirectory}/setup-token</c> (0600) so that an operator
/// who missed the console, or restarted the server, can still read it. It dies when the first Owner is created.
/// </summary>
public sealed class SetupTokenService(AdminSettings settings, IConfiguration configuration, IDbContextFactory<AdminDbContext> contexts,
    ILogger<SetupTokenService> logger)
{
    public const string FileName = "setup-token";

    /// <summary>Longer input is refused without hashing it (a real token is 43 characters).</summary>
    public const int MaxTokenLength = 128;

    private const int TokenBytes = 32;

    private readonly Lock _lock = new();
    private byte[]? _hash;

    public string FilePath => Path.Combine(settings.DataDirectory, FileName);

    /// <summary>True while a token is outstanding: first run, Local mode, no user yet.</summary>
    public bool IsSetupPending => Volatile.Read(ref _hash) is not null;

    /// <summary>True when <c>Authentication:Mode</c> is Local (the default).</summary>
    public bool IsLocalMode
    {
        get
        {
            var mode = configuration["Authentication:Mode"];
            return string.IsNullOrWhiteSpace(mode) || mode.Trim().Equals("Local", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// The start-up step: with no user in Local mode, issue a token (or reuse the one on disk, so a restart does
    /// not invalidate what the operator already copied); otherwise delete any leftover token file.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        bool hasUsers;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            hasUsers = await db.Users.AnyAsync(cancellationToken);
        }

        if (hasUsers || !IsLocalMode)
        {
            Consume();
            return;
        }

        var token = ReadExistingToken() ?? CreateToken();
        lock (_lock)
        {
            _hash = Hash(token);
        }

        // The one intended exception to "no secret in logs": on a fresh installation nobody can sign in yet, so the
        // operator must get this token from the console (or the 0600 file). It grants nothing once the first Owner
        // exists: it is consumed at first use and deleted at every start that finds a user.
        logger.LogWarning(
            "==================== FIRST RUN ====================\n" +
            "First run: open /setup and enter this one-time setup token: {SetupToken}\n" +
            "It is also in {SetupTokenPath} (readable by this user only) and stops working once the first Owner is created.\n" +
            "===================================================",
            token, FilePath);
    }

    /// <summary>Constant-time check of <paramref name="token"/> against the outstanding token.</summary>
    public bool Validate(string? token)
    {
        var expected = Volatile.Read(ref _hash);
        if (expected is null || string.IsNullOrWhiteSpace(token) || token.Length > MaxTokenLength)
        {
            return false;
        }

        // Comparing fixed-length digests keeps the time independent of where the input first differs.
        return CryptographicOperations.FixedTimeEquals(Hash(token.Trim()), expected);
    }

    /// <summary>Ends setup: forgets the hash and deletes the token file. Safe to call more than once.</summary>
    public void Consume()
    {
        lock (_lock)
        {
            _hash = null;
        }

        foreach (var path in (string[])[FilePath, FilePath + ".tmp"])
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The hash is gone, so the file no longer grants anything; the next start deletes it again.
                logger.LogWarning("Could not delete the used setup token file {SetupTokenPath}: {Reason}", path, ex.Message);
            }
        }
    }

    private string? ReadExistingToken()
    {
        string text;
        try
        {
            if (!File.Exists(FilePath))
            {
                return null;
            }

            text = File.ReadAllText(FilePath).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AdminStartupException(
                $"The setup token file '{FilePath}' exists but cannot be read ({ex.Message.TrimEnd('.')}); fix its permissions or delete it.", inner: ex);
        }

        if (IsWellFormed(text))
        {
            return text;
        }

        logger.LogWarning("The setup token file {SetupTokenPath} is not a token this portal wrote; replacing it.", FilePath);
        return null;
    }

    private string CreateToken()
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenBytes));
        MasterSecretProvider.WriteSecretFile(FilePath, token);
        return token;
    }

    private static bool IsWellFormed(string text)
    {
        if (text.Length > MaxTokenLength || !Base64Url.IsValid(text.AsSpan(), out var decodedLength))
        {
            return false;
        }

        return decodedLength == TokenBytes;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}

/// <summary>
/// Issues the setup token at start-up — in the web server only. The CLI shares <see cref="AdminRuntime"/> but has no
/// /setup page, and a token printed there would land in scripts' stderr and could replace the server's token.
/// </summary>
internal sealed class SetupTokenInitializer(SetupTokenService tokens, IServiceProvider services) : IAdminInitializer
{
    public Task InitializeAsync(CancellationToken cancellationToken) =>
        services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>() is null
            ? Task.CompletedTask
            : tokens.InitializeAsync(cancellationToken);
}
