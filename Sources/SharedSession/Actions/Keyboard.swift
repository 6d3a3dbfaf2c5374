/// Key names for ``SharedBrowserSession/press(_:on:as:options:)``: `Enter`, `Tab`, `Escape`,
/// `Backspace`, `Delete`, `ArrowUp`/`Down`/`Left`/`Right`, `Home`, `End`, `PageUp`, `PageDown`,
/// `Space`, `F1`...`F12`, a single character, combined with modifiers as `Control+A`,
/// `Shift+Tab`, `Alt+ArrowLeft`, `Meta+C`.
struct KeyDefinition: Equatable {
    var key: String
    var code: String
    var keyCode: Int
    var text: String?

    static let named: [String: KeyDefinition] = {
        var keys: [String: KeyDefinition] = [
            "Enter": .init(key: "Enter", code: "Enter", keyCode: 13, text: "\r"),
            "Tab": .init(key: "Tab", code: "Tab", keyCode: 9, text: nil),
            "Escape": .init(key: "Escape", code: "Escape", keyCode: 27, text: nil),
            "Backspace": .init(key: "Backspace", code: "Backspace", keyCode: 8, text: nil),
            "Delete": .init(key: "Delete", code: "Delete", keyCode: 46, text: nil),
            "ArrowUp": .init(key: "ArrowUp", code: "ArrowUp", keyCode: 38, text: nil),
            "ArrowDown": .init(key: "ArrowDown", code: "ArrowDown", keyCode: 40, text: nil),
            "ArrowLeft": .init(key: "ArrowLeft", code: "ArrowLeft", keyCode: 37, text: nil),
            "ArrowRight": .init(key: "ArrowRight", code: "ArrowRight", keyCode: 39, text: nil),
            "Home": .init(key: "Home", code: "Home", keyCode: 36, text: nil),
            "End": .init(key: "End", code: "End", keyCode: 35, text: nil),
            "PageUp": .init(key: "PageUp", code: "PageUp", keyCode: 33, text: nil),
            "PageDown": .init(key: "PageDown", code: "PageDown", keyCode: 34, text: nil),
            "Space": .init(key: " ", code: "Space", keyCode: 32, text: " "),
            "Shift": .init(key: "Shift", code: "ShiftLeft", keyCode: 16, text: nil),
            "Control": .init(key: "Control", code: "ControlLeft", keyCode: 17, text: nil),
            "Alt": .init(key: "Alt", code: "AltLeft", keyCode: 18, text: nil),
            "Meta": .init(key: "Meta", code: "MetaLeft", keyCode: 91, text: nil),
        ]
        for n in 1...12 { keys["F\(n)"] = .init(key: "F\(n)", code: "F\(n)", keyCode: 111 + n, text: nil) }
        return keys
    }()

    /// The definition of a key name or a single character; nil if unknown.
    static func lookup(_ name: String) -> KeyDefinition? {
        if let known = named[name] { return known }
        guard name.count == 1, let scalar = name.unicodeScalars.first else { return nil }
        let upper = name.uppercased()
        if scalar.properties.isAlphabetic, scalar.isASCII {
            return KeyDefinition(key: name, code: "Key\(upper)", keyCode: Int(upper.unicodeScalars.first!.value), text: name)
        }
        if ("0"..."9").contains(name) {
            return KeyDefinition(key: name, code: "Digit\(name)", keyCode: Int(scalar.value), text: name)
        }
        return KeyDefinition(key: name, code: "", keyCode: 0, text: name)
    }

    /// CDP modifier bits.
    static let modifierBits: [String: Int] = ["Alt": 1, "Control": 2, "Meta": 4, "Shift": 8]
}
