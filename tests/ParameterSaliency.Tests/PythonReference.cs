using System.Security.Cryptography;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Tests;

/// <summary>
/// Output of a reference script in tests/reference/ that is too large to commit, made at test time by Debian's
/// python3 with torch and torchvision into a folder under the temp folder named by the hash of the scripts and
/// the library versions: made once, by one process (a cross-process lock), marked complete last, so a half-written
/// folder is never used. Without python3-torch it is <see cref="Missing"/> and the tests that need it skip.
/// </summary>
public sealed class PythonReference
{
    PythonReference(string? missing, string folder) => (Missing, Folder) = (missing, folder);

    /// <summary>Why the output is missing, or null.</summary>
    public string? Missing { get; }
    /// <summary>The folder the script wrote.</summary>
    public string Folder { get; }

    /// <summary>Runs <c>python3 tests/reference/<paramref name="script"/> FOLDER</c> unless its output for these scripts and versions exists.</summary>
    public static PythonReference Make(string script)
    {
        string scripts = Path.Combine(Workbook.Root, "tests", "reference");
        var (python, versions) = FindPython();
        if (python is null || versions is null)
            return new("python3 with torch and torchvision is not installed (Debian: apt-get install python3-torch python3-torchvision); .ci/run installs it.", "");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in new[] { script, "pytorch_reference.py" }) hash.AppendData(File.ReadAllBytes(Path.Combine(scripts, file)));
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(versions));
        string folder = Path.Combine(Path.GetTempPath(), "parameter-saliency-" + Path.GetFileNameWithoutExtension(script).Replace('_', '-'),
            Convert.ToHexStringLower(hash.GetHashAndReset())[..16]);
        using (CacheLock.Acquire(folder))
        {
            if (File.Exists(Path.Combine(folder, "complete"))) return new(null, folder);
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            var (exitCode, output, error) = Workbook.RunProgram(python, $"\"{Path.Combine(scripts, script)}\" \"{folder}\"",
                environment: new() { ["OMP_NUM_THREADS"] = "1" });
            Assert.True(exitCode == 0, $"{script} failed:\n{output}\n{error}");
            File.WriteAllText(Path.Combine(folder, "complete"), output);
        }
        return new(null, folder);
    }

    /// <summary>Debian's interpreter first: a python3 earlier on PATH (pyenv, a venv) may lack Debian's torch.</summary>
    static (string? Python, string? Versions) FindPython()
    {
        foreach (string candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                var (exitCode, output, _) = Workbook.RunProgram(candidate, "-c \"import torch, torchvision, PIL; print(torch.__version__, torchvision.__version__, PIL.__version__)\"");
                if (exitCode == 0) return (candidate, output);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed
            }
        }
        return (null, null);
    }
}
