namespace CodeRaft.Admin.Cli;

/// <summary>The CLI's list output: a header row and aligned columns separated by two spaces (cells already printable).</summary>
internal static class CliTable
{
    public static async Task WriteAsync(TextWriter output, string[] header, IReadOnlyList<string[]> rows)
    {
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
        foreach (var row in rows.Prepend(header))
        {
            await output.WriteLineAsync(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
