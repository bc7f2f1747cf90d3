using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CodeRaft.LicenseIssuer;

/// <summary>
/// The vendor-side license tool: keygen, issue, inspect. Conventions of the portal CLI: exit 0 success, 2 usage error
/// (one sentence on stderr, nothing written), results on stdout, never a stack trace.
/// </summary>
internal static class IssuerCli
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int UsageError = 2;

    /// <summary>A key file is a few kilobytes of PEM.</summary>
    private const int MaxKeyFileBytes = 64 * 1024;

    /// <summary>Generous for inspect: tests craft megabyte payloads on purpose.</summary>
    private const int MaxLicenseFileBytes = 16 * 1024 * 1024;

    private const string Usage = """
        CodeRaft.LicenseIssuer — makes license keys, format v1 (CONTRACTS §7).

          keygen --private FILE --public FILE [--bits 2048|3072|4096]
              New RSA key pair: PKCS#8 private PEM (mode 0600) and SubjectPublicKeyInfo public PEM.
              Default 3072 bits. Existing files are never overwritten.
          issue --key PRIVATE.pem --payload PAYLOAD.json [--out FILE]
              Validates and signs the payload; fills v, licenseId and issuedAt when missing.
              Prints the key alone on the last line, or writes it to FILE (never overwritten).
          inspect KEYFILE
              Decodes and pretty-prints the payload. Does NOT verify the signature.

        Exit codes: 0 success, 2 usage error (one sentence on stderr, nothing written).
        """;

    private static readonly string[] _bits = ["2048", "3072", "4096"];

    private static readonly JsonSerializerOptions _pretty = new()
    {
        WriteIndented = true,
        // Names like "Müller & Söhne" read as typed; control characters are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static int Run(string[] args, TextWriter output, TextWriter error, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        try
        {
            if (args.Length == 0)
            {
                throw new UsageException("Missing command (keygen, issue or inspect); run with --help for usage.");
            }

            if (args.Any(a => a is "--help" or "-h" or "-?") || args[0] == "help")
            {
                output.WriteLine(Usage);
                return Success;
            }

            return args[0] switch
            {
                "keygen" => Keygen(args[1..], output),
                "issue" => Issue(args[1..], output, time),
                "inspect" => Inspect(args[1..], output, error),
                _ => throw new UsageException($"Unknown command '{PayloadFile.Printable(args[0])}' (keygen, issue or inspect); run with --help for usage."),
            };
        }
        catch (UsageException ex)
        {
            error.WriteLine(ex.Message);
            return UsageError;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"A file could not be read or written: {OneLine(ex.Message)}");
            return UsageError;
        }
        catch (CryptographicException ex)
        {
            error.WriteLine($"The crypto library failed: {OneLine(ex.Message)}");
            return Failed;
        }
    }

    private static int Keygen(string[] args, TextWriter output)
    {
        var options = Options.Parse("keygen", args, ["--private", "--public", "--bits"], positionals: 0);
        var privatePath = options.Required("--private");
        var publicPath = options.Required("--public");
        var bitsText = options.Optional("--bits") ?? "3072";
        if (!_bits.Contains(bitsText, StringComparer.Ordinal))
        {
            throw new UsageException("--bits must be 2048, 3072 or 4096.");
        }

        if (Path.GetFullPath(privatePath) == Path.GetFullPath(publicPath))
        {
            throw new UsageException("--private and --public must be different files.");
        }

        // Both checked before either is written, so a refusal leaves nothing behind.
        RefuseExisting(privatePath);
        RefuseExisting(publicPath);
        RequireDirectory(privatePath);
        RequireDirectory(publicPath);

        using var rsa = RSA.Create(int.Parse(bitsText, System.Globalization.CultureInfo.InvariantCulture));
        var der = rsa.ExportPkcs8PrivateKey();
        var pem = PemEncoding.Write("PRIVATE KEY", der);
        try
        {
            WriteNew(privatePath, Encoding.ASCII.GetBytes(pem), privateFile: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
            Array.Clear(pem);
        }

        var publicPem = rsa.ExportSubjectPublicKeyInfoPem();
        try
        {
            WriteNew(publicPath, Encoding.ASCII.GetBytes(publicPem + "\n"), privateFile: false);
        }
        catch
        {
            // Half a key pair is worse than none: the operator would re-run and hit "already exists".
            File.Delete(privatePath);
            throw;
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()));
        output.WriteLine($"Wrote a {bitsText}-bit private key to {privatePath} (mode 0600; keep it offline, never commit it).");
        output.WriteLine($"Wrote the public key to {publicPath}; SHA-256 of its SubjectPublicKeyInfo: {fingerprint}");
        return Success;
    }

    private static int Issue(string[] args, TextWriter output, TimeProvider time)
    {
        var options = Options.Parse("issue", args, ["--key", "--payload", "--out"], positionals: 0);
        var keyPath = options.Required("--key");
        var payloadPath = options.Required("--payload");
        var outPath = options.Optional("--out");

        var payload = PayloadFile.Parse(ReadBounded(payloadPath, "Payload", PayloadFile.MaxBytes), time.GetUtcNow());
        using var key = ReadPrivateKey(keyPath);
        if (outPath is not null)
        {
            RefuseExisting(outPath);
            RequireDirectory(outPath);
        }

        var license = LicenseKeyWriter.Issue(key, payload);
        var summary = $"license {payload.LicenseId} for {payload.OrganizationName} ({payload.OrganizationId}): {payload.Product} {payload.Plan}, "
            + $"{payload.MaxUsers} users, features [{string.Join(", ", payload.Features)}], expires {Rfc3339.Format(payload.ExpiresAt)}";
        if (outPath is null)
        {
            output.WriteLine($"Issued {summary}.");
            output.WriteLine(license);
        }
        else
        {
            WriteNew(outPath, Encoding.ASCII.GetBytes(license + "\n"), privateFile: false);
            output.WriteLine($"Wrote {summary} to {outPath}.");
        }

        return Success;
    }

    private static int Inspect(string[] args, TextWriter output, TextWriter error)
    {
        var options = Options.Parse("inspect", args, [], positionals: 1);
        var path = options.Positionals.Count == 1 ? options.Positionals[0] : throw new UsageException("inspect needs the license file: inspect KEYFILE.");

        // A license file holds the key string; surrounding whitespace is ignored (CONTRACTS §7).
        var text = Encoding.UTF8.GetString(ReadBounded(path, "License", MaxLicenseFileBytes)).Trim();
        var segments = text.Split('.');
        if (segments.Length != 3)
        {
            throw new UsageException($"The file {path} does not hold a license key: expected three dot-separated segments, found {segments.Length}.");
        }

        if (segments[0] != LicenseKeyWriter.Prefix)
        {
            throw new UsageException($"The key starts with '{PayloadFile.Printable(segments[0])}', not {LicenseKeyWriter.Prefix}; this tool reads format v1 only.");
        }

        byte[] payloadBytes;
        try
        {
            payloadBytes = LicenseKeyWriter.FromBase64Url(segments[1]);
            _ = LicenseKeyWriter.FromBase64Url(segments[2]);
        }
        catch (FormatException)
        {
            throw new UsageException("The key's payload or signature segment is not unpadded base64url.");
        }

        string pretty;
        try
        {
            using var document = JsonDocument.Parse(payloadBytes);
            pretty = JsonSerializer.Serialize(document.RootElement, _pretty);
        }
        catch (JsonException)
        {
            throw new UsageException("The key's payload is not valid UTF-8 JSON.");
        }

        output.WriteLine(EscapeFormatCharacters(pretty));
        error.WriteLine("Not verified: inspect only decodes; the portal's 'license verify' checks the signature.");
        return Success;
    }

    /// <summary>
    /// The relaxed encoder leaves format characters such as U+202E (right-to-left override) as they are; an unverified
    /// key could use them to make the terminal show another organization or date. They can only occur inside JSON
    /// strings, where a \u escape means the same.
    /// </summary>
    private static string EscapeFormatCharacters(string json)
    {
        var builder = new StringBuilder(json.Length);
        foreach (var c in json)
        {
            if (char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
            {
                builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static RSA ReadPrivateKey(string path)
    {
        var pem = Encoding.ASCII.GetString(ReadBounded(path, "Key", MaxKeyFileBytes));
        if (pem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new UsageException($"The key file {path} is encrypted; give an unencrypted PKCS#8 or PKCS#1 PEM private key.");
        }

        if (!pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal) && pem.Contains("PUBLIC KEY-----", StringComparison.Ordinal))
        {
            throw new UsageException($"The key file {path} holds a public key; issue needs the private key.");
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            if (rsa.KeySize < 2048)
            {
                throw new UsageException($"The key in {path} has {rsa.KeySize} bits; licenses need RSA-2048 or larger.");
            }

            return rsa;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            // The exception's message is not echoed: it could quote key material.
            throw new UsageException($"The key file {path} holds no readable RSA private key (PEM 'PRIVATE KEY' or 'RSA PRIVATE KEY').");
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    private static byte[] ReadBounded(string path, string what, int maxBytes)
    {
        if (!File.Exists(path))
        {
            throw new UsageException(Directory.Exists(path) ? $"{what} file {path} is a directory." : $"{what} file {path} does not exist.");
        }

        if (new FileInfo(path).Length > maxBytes)
        {
            throw new UsageException($"{what} file {path} is larger than {maxBytes / 1024} KB; it cannot be a {what.ToLowerInvariant()} file.");
        }

        return File.ReadAllBytes(path);
    }

    private static void RefuseExisting(string path)
    {
        if (File.Exists(path) || Directory.Exists(path))
        {
            throw new UsageException($"{path} already exists; this tool never overwrites a file.");
        }
    }

    private static void RequireDirectory(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new UsageException($"The directory of {path} does not exist.");
        }
    }

    /// <summary>
    /// Written under a temporary name and renamed without overwriting, so a failure leaves no partial file and a
    /// file created meanwhile is not replaced. A private key is 0600 from its creation on, never readable by others.
    /// </summary>
    private static void WriteNew(string path, byte[] content, bool privateFile)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = privateFile
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: false);
        }
        catch (IOException) when (File.Exists(full))
        {
            File.Delete(temporary);
            throw new UsageException($"{path} already exists; this tool never overwrites a file.");
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        finally
        {
            if (privateFile)
            {
                CryptographicOperations.ZeroMemory(content);
            }
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    /// <summary>Just enough option parsing for three commands: <c>--name value</c> pairs and positionals.</summary>
    private sealed class Options
    {
        private readonly string _command;
        private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

        private Options(string command) => _command = command;

        public List<string> Positionals { get; } = [];

        public static Options Parse(string command, string[] args, string[] known, int positionals)
        {
            var options = new Options(command);
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                if (arg.StartsWith("--", StringComparison.Ordinal))
                {
                    if (!known.Contains(arg, StringComparer.Ordinal))
                    {
                        throw new UsageException($"Unknown option '{PayloadFile.Printable(arg)}' for {command}; run with --help for usage.");
                    }

                    if (i + 1 >= args.Length || args[i + 1].Length == 0)
                    {
                        throw new UsageException($"The option {arg} of {command} needs a value.");
                    }

                    if (!options._values.TryAdd(arg, args[++i]))
                    {
                        throw new UsageException($"The option {arg} of {command} is given twice.");
                    }
                }
                else if (options.Positionals.Count < positionals)
                {
                    options.Positionals.Add(arg);
                }
                else
                {
                    throw new UsageException($"Unexpected argument '{PayloadFile.Printable(arg)}' for {command}; run with --help for usage.");
                }
            }

            return options;
        }

        public string Required(string name) =>
            _values.TryGetValue(name, out var value) ? value : throw new UsageException($"{_command} needs {name} FILE; run with --help for usage.");

        public string? Optional(string name) => _values.GetValueOrDefault(name);
    }
}

/// <summary>Bad input: one sentence on stderr, exit code 2, nothing written.</summary>
internal sealed class UsageException(string message) : Exception(message);
