namespace ParameterSaliency.Serialization;

/// <summary>Writes a file so that readers see either the old or the complete new content, never a partial file.</summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/> into a temporary file beside <paramref name="path"/>, flushes it to disk, then renames it over the target.</summary>
    /// <param name="path">Target file; its folder is created if missing.</param>
    /// <param name="write">Writes the whole new content into the temporary file's stream.</param>
    public static void Write(string path, Action<Stream> write)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8, atomically.</summary>
    /// <param name="path">Target file; its folder is created if missing.</param>
    /// <param name="text">Content, written as UTF-8 without a byte-order mark.</param>
    public static void WriteAllText(string path, string text) => Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
}
