#nullable disable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
#if !PARAMETER_SALIENCY_LIBRARY
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// MSBuild task: marks as weak every GLIBCXX version need of a native library under
/// <see cref="Directory"/> (its subfolders included, for runtimes/&lt;rid&gt;/native) that the system's
/// libstdc++.so.6 does not define (<see cref="LibStdCxxVersionNeeds"/>). Files are rewritten through a
/// temporary copy, so a hard link into the NuGet cache is never modified.
/// </summary>
public class WeakenMissingLibStdCxxVersions : Task
{
    [Required]
    public string Directory { get; set; } = "";

    public override bool Execute()
    {
        string systemLib = LibStdCxxVersionNeeds.FindSystemLibStdCxx();
        if (systemLib == null)
        {
            Log.LogMessage(MessageImportance.Low, "No system libstdc++.so.6 found; nothing to patch.");
            return true;
        }
        if (!System.IO.Directory.Exists(Directory)) return true;
        HashSet<string> defined = LibStdCxxVersionNeeds.DefinedVersions(File.ReadAllBytes(systemLib));
        foreach (string path in System.IO.Directory.GetFiles(Directory, "*.so*", SearchOption.AllDirectories))
        {
            try
            {
                List<string> weakened = LibStdCxxVersionNeeds.WeakenFile(path, defined);
                if (weakened.Count > 0)
                    Log.LogMessage(MessageImportance.High, "Marked {0} weak in {1}: {2} does not define {3}.",
                        string.Join(", ", weakened), path, systemLib, weakened.Count == 1 ? "it" : "them");
            }
            catch (Exception e)
            {
                Log.LogWarning("Could not inspect {0} for missing GLIBCXX versions: {1}", path, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }
}
#endif

/// <summary>
/// The GLIBCXX version needs recorded in an ELF64 library's .gnu.version_r section. TorchSharp 0.107's
/// libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13) for one symbol nothing calls; Debian 12's libstdc++
/// stops at 3.4.30. Marking such a need weak (VER_FLG_WEAK) lets the glibc loader accept the library;
/// only calling a symbol of that version would fail. Shared by the build (output copies) and the
/// library's native loader (copies it makes itself at run time).
/// </summary>
internal static class LibStdCxxVersionNeeds
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlagWeak = 0x2;

    /// <summary>
    /// Rewrites <paramref name="path"/> when it has GLIBCXX needs the system lacks; returns them. The new file replaces
    /// the old in one rename (a process loading it meanwhile sees one or the other), and keeps the old one's time: the
    /// patch changes no size, so the next build's copy step finds the output unchanged and leaves the patched library
    /// alone, rather than copying the original over it while another process may be loading it.
    /// </summary>
    public static List<string> WeakenFile(string path, ISet<string> definedVersions)
    {
        byte[] elf = File.ReadAllBytes(path);
        List<string> weakened = Weaken(elf, definedVersions);
        if (weakened.Count == 0) return weakened;
        DateTime written = File.GetLastWriteTimeUtc(path);
        string temporary = path + ".weakening.tmp";
        File.WriteAllBytes(temporary, elf);
        File.SetLastWriteTimeUtc(temporary, written);
        File.Replace(temporary, path, null);
        return weakened;
    }

    /// <summary>Marks weak, in <paramref name="elf"/> itself, each non-weak GLIBCXX need not among <paramref name="definedVersions"/> (<see cref="DefinedVersions"/>); returns those versions (none: not an ELF64 little-endian file, or nothing missing).</summary>
    public static List<string> Weaken(byte[] elf, ISet<string> definedVersions)
    {
        var weakened = new List<string>();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F') return weakened;
        if (elf[4] != 2 || elf[5] != 1) return weakened; // ELF64 little-endian only
        long sectionTable = BitConverter.ToInt64(elf, 0x28);
        int sectionSize = BitConverter.ToUInt16(elf, 0x3A);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < sectionCount; i++)
        {
            long header = sectionTable + (long)i * sectionSize;
            if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed) continue;
            long offset = BitConverter.ToInt64(elf, (int)header + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)header + 0x28);
            int needCount = (int)BitConverter.ToUInt32(elf, (int)header + 0x2C);
            long strings = BitConverter.ToInt64(elf, (int)(sectionTable + (long)link * sectionSize + 0x18));
            long need = offset;
            for (int n = 0; n < needCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                string file = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)need + 4));
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    string version = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)aux + 8));
                    ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                    if (file == "libstdc++.so.6" && version.StartsWith("GLIBCXX_", StringComparison.Ordinal)
                        && (flags & VerFlagWeak) == 0 && !definedVersions.Contains(version))
                    {
                        BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(elf, (int)aux + 4);
                        weakened.Add(version);
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
        }
        return weakened;
    }

    /// <summary>The system's libstdc++.so.6, or null.</summary>
    public static string FindSystemLibStdCxx()
    {
        string[] folders =
        {
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
        };
        foreach (string folder in folders)
        {
            string candidate = Path.Combine(folder, "libstdc++.so.6");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    static string ReadString(byte[] bytes, long start)
    {
        long end = start;
        while (end < bytes.Length && bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(bytes, (int)start, (int)(end - start));
    }

    /// <summary>Every GLIBCXX_* version string in a libstdc++.so.6, found in one pass over its bytes.</summary>
    public static HashSet<string> DefinedVersions(byte[] systemLibStdCxx)
    {
        byte[] prefix = Encoding.ASCII.GetBytes("GLIBCXX_");
        var versions = new HashSet<string>(StringComparer.Ordinal);
        for (int start = 0; start <= systemLibStdCxx.Length - prefix.Length; start++)
        {
            int matched = 0;
            while (matched < prefix.Length && systemLibStdCxx[start + matched] == prefix[matched]) matched++;
            if (matched < prefix.Length) continue;
            int end = start + prefix.Length;
            while (end < systemLibStdCxx.Length && systemLibStdCxx[end] != 0) end++;
            if (end < systemLibStdCxx.Length) versions.Add(Encoding.ASCII.GetString(systemLibStdCxx, start, end - start));
        }
        return versions;
    }
}
