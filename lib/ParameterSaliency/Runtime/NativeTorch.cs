using TorchSharp;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Loads libtorch once and turns the loader's misleading failures into a message that says
/// what is wrong on this machine and how to fix it.
/// </summary>
public static class NativeTorch
{
    static readonly object Gate = new();
    static bool loaded;

    /// <summary>Loads the native libraries; throws <see cref="InvalidOperationException"/> with a diagnosis when that fails.</summary>
    public static void EnsureLoaded()
    {
        if (loaded) return;
        lock (Gate)
        {
            if (loaded) return;
            try
            {
                using var probe = torch.zeros(1);
                loaded = true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException(Diagnose(e), e);
            }
        }
    }

    /// <summary>The device the library uses by default: CUDA when a CUDA build of libtorch sees a GPU, else the CPU.</summary>
    public static torch.Device DefaultDevice
    {
        get
        {
            EnsureLoaded();
            return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        }
    }

    internal static string Diagnose(Exception failure)
    {
        string folder = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "?";
        string message = failure.ToString();
        var lines = new List<string>
        {
            "TorchSharp could not load its native libraries (libtorch).",
            $"TorchSharp.dll was loaded from: {folder}",
        };
        if (!File.Exists(Path.Combine(folder, "libLibTorchSharp.so")) && !File.Exists(Path.Combine(folder, "LibTorchSharp.dll")))
            lines.Add("The native libraries are not beside TorchSharp.dll. Build the workbook's projects " +
                      "(they copy libtorch flat into their output folder) and load the DLL from that folder.");
        if (message.Contains("GLIBCXX", StringComparison.Ordinal) || message.Contains("libtorch-cpu", StringComparison.Ordinal))
            lines.Add("libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13) but this system's libstdc++ is older. " +
                      "The build marks that need weak in the output folder's copy; rebuild with 'dotnet build' " +
                      "rather than copying files from the NuGet cache.");
        if (message.Contains("_ZNK3c105Error4whatEv", StringComparison.Ordinal))
            lines.Add("Another libtorch (e.g. Debian's libtorch1.13 from python3-torch) was bound instead of ours. " +
                      "Load the library from its build output folder, where libtorch sits beside TorchSharp.dll.");
        if (TorchNativeLibraries.Report is { } report) lines.Add(report);
        lines.Add("Original error: " + failure.Message);
        return string.Join(Environment.NewLine, lines);
    }
}
