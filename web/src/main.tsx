import { render } from "preact";
import { App } from "./components/App";
import { lang } from "./i18n";
import { boot } from "./store";
import "./style.css";

document.documentElement.lang = lang;
render(<App />, document.getElementById("app")!);
void boot();
