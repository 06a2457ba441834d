namespace ParameterSaliency.Imaging;

/// <summary>
/// Writes the page into a fresh folder beside the target and swaps it in only when every file is written: a failure
/// leaves the previous page as it was, and a folder that is not an explorer's is never replaced.
/// </summary>
internal sealed class ExplorerFolder
{
    /// <summary>The file that marks a folder as an explorer's (and that the page loads last).</summary>
    public const string Marker = "explorer.js";

    ExplorerFolder(string target, string staging) => (Target, Staging) = (target, staging);

    public string Target { get; }
    /// <summary>Where the files are written until <see cref="Commit"/>.</summary>
    public string Staging { get; }

    /// <summary>Checks that <paramref name="folder"/> may be written (new, empty or an earlier page) and creates the staging folder beside it.</summary>
    public static ExplorerFolder Begin(string folder)
    {
        string target = Path.GetFullPath(folder);
        if (File.Exists(target)) throw new ArgumentException($"--out '{folder}' is a file, not a folder.");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !File.Exists(Path.Combine(target, Marker)))
            throw new ArgumentException($"--out '{folder}' holds files that are not a mistake explorer's; choose a new or empty folder.");
        string staging = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.writing-{Environment.ProcessId}");
        try
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            Directory.CreateDirectory(Path.Combine(staging, "chunks"));
            File.WriteAllText(Path.Combine(staging, ".probe"), "");
            File.Delete(Path.Combine(staging, ".probe"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Cannot write the explorer to '{folder}': {e.Message}", e);
        }
        return new ExplorerFolder(target, staging);
    }

    /// <summary>The path of <paramref name="name"/> in the staging folder.</summary>
    public string PathOf(string name) => Path.Combine(Staging, name);

    /// <summary>Replaces the target with the staging folder.</summary>
    public void Commit()
    {
        string? previous = null;
        if (Directory.Exists(Target))
        {
            previous = Target + $".old-{Environment.ProcessId}";
            Directory.Move(Target, previous);
        }
        Directory.Move(Staging, Target);
        if (previous is not null) Directory.Delete(previous, recursive: true);
    }

    /// <summary>Removes the staging folder after a failure; the target is untouched.</summary>
    public void Abandon()
    {
        try
        {
            if (Directory.Exists(Staging)) Directory.Delete(Staging, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
